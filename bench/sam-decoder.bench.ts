// `node --import tsx bench/sam-decoder.bench.ts` (also in `npm run bench`): SamFrameDecoder throughput on a stream of 1295-byte read responses, against the
// reference's own parser (docs/protocols.md §1.3 `samParse`), which needs whole frames handed to it.
import { performance } from 'node:perf_hooks';
import {
  encodeCardText,
  encodeReadPayload,
  encodeSamResponse,
  SamFrameDecoder,
} from '../adapters/id-card/index.js';
import { createRng, generatePopulation } from '../simulator/index.js';
import { type BenchResult, figure, runAlone, summarize } from './harness.js';
import { fmt } from './stats.js';

const PRE = [0xaa, 0xaa, 0xaa, 0x96, 0x69];
/** The reference implementation, verbatim in behaviour: one complete frame in, fields out. */
function samParse(f: Buffer) {
  if (f.length < 8 || !PRE.every((b, i) => f[i] === b)) throw new Error('bad preamble');
  const len = f.readUInt16BE(5);
  if (len !== f.length - 7) throw new Error('bad length');
  let x = 0;
  for (let i = 5; i < f.length - 1; i++) x ^= f[i]!;
  if (x !== f[f.length - 1]) throw new Error('bad checksum');
  return { sw1: f[7], sw2: f[8], sw3: f[9], data: f.subarray(10, f.length - 1) };
}

function buildStream(frames: number): { stream: Buffer; frameBytes: number } {
  const [person] = generatePopulation(1, 'bench-sam');
  const rng = createRng('bench-sam-photo');
  const text = encodeCardText({
    cardType: 'resident',
    name: person!.name,
    genderCode: person!.gender === 'male' ? '1' : '2',
    nationCode: '01',
    birthDate: person!.birthDate,
    address: '山东省青州市测试路1号',
    idNumber: person!.idNumber,
    issuingAuthority: '青州市公安局',
    validFrom: '2020-01-01',
    validUntil: '2040-01-01',
  });
  const photo = Buffer.from(Array.from({ length: 1024 }, () => rng.int(0, 255)));
  const frame = encodeSamResponse(0, 0, 0x90, encodeReadPayload({ text, photo }));
  return { stream: Buffer.concat(Array.from({ length: frames }, () => frame)), frameBytes: frame.length };
}

function mbPerSec(bytes: number, ms: number): number {
  return bytes / (1024 * 1024) / (ms / 1000);
}

/** Timed rounds per measure; each round decodes the whole stream (2,000 frames, 2.5 MiB) at least once. */
const ROUNDS = 7;
const ROUND_MIN_MS = 150;

/** MB/s of `pass` (one pass over `bytes`), repeated until the round lasted `ROUND_MIN_MS`. */
function rate(bytes: number, pass: () => void): number {
  let passes = 0;
  const t = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MIN_MS) {
    pass();
    passes++;
    elapsed = performance.now() - t;
  }
  return mbPerSec(bytes * passes, elapsed);
}

export async function runSamDecoderBench(): Promise<BenchResult> {
  const { stream, frameBytes } = buildStream(2000);
  // Byte-by-byte is slow by nature: a tenth of the stream per pass.
  const tenth = stream.subarray(0, frameBytes * 200);
  const chunks = [1295, 4096, 64, 1] as const;
  const streaming = (chunk: number) => {
    const input = chunk === 1 ? tenth : stream;
    const expected = chunk === 1 ? 200 : 2000;
    return () => {
      const decoder = new SamFrameDecoder();
      let frames = 0;
      for (let i = 0; i < input.length; i += chunk)
        frames += decoder.push(input.subarray(i, i + chunk)).length;
      if (frames !== expected) throw new Error(`decoded ${frames} frames`);
    };
  };
  const reference = () => {
    for (let i = 0; i < stream.length; i += frameBytes) samParse(stream.subarray(i, i + frameBytes));
  };
  const values: Record<string, number[]> = Object.fromEntries(['reference', ...chunks].map((k) => [k, []]));
  // A warm-up round of everything (JIT), then rounds round-robin over the measures.
  for (let r = -1; r < ROUNDS; r++) {
    const b = rate(stream.length, reference);
    if (r >= 0) values.reference!.push(b);
    for (const chunk of chunks) {
      const v = rate(chunk === 1 ? tenth.length : stream.length, streaming(chunk));
      if (r >= 0) values[chunk]!.push(v);
    }
  }
  const baseline = { label: 'reference samParse, whole frames', ...summarize(values.reference!) };
  return {
    bench: 'sam-decoder',
    title: `SamFrameDecoder — a stream of ${fmt(frameBytes)}-byte read responses`,
    figures: chunks.map((chunk) =>
      figure(
        `sam-decoder.chunks-${chunk}`,
        `streaming, chunks of ${chunk} B`,
        'MB/s',
        summarize(values[chunk]!),
        baseline,
      ),
    ),
    notes: [
      `${ROUNDS} rounds of at least ${ROUND_MIN_MS} ms per measure after a warm-up round, round-robin`,
      'a reader at 115200 baud delivers 0.011 MB/s',
    ],
  };
}

await runAlone(import.meta.url, runSamDecoderBench);
