// `npm run bench`: SamFrameDecoder throughput on a stream of 1295-byte read responses, against the
// reference's own parser (hardware-protocols.md §1.3 `samParse`), which needs whole frames handed to it.
import { performance } from 'node:perf_hooks';
import {
  encodeCardText,
  encodeReadPayload,
  encodeSamResponse,
  SamFrameDecoder,
} from '../adapters/id-card/index.js';
import { createRng, generatePopulation } from '../simulator/index.js';
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

export function runSamDecoderBench(): void {
  const { stream, frameBytes } = buildStream(2000);
  console.log(
    `\nSamFrameDecoder — ${fmt(stream.length / 1024 / 1024, 1)} MiB of ${fmt(frameBytes)}-byte read responses`,
  );
  const results: [string, number][] = [];
  for (const chunk of [1295, 4096, 64, 1]) {
    const rounds = chunk === 1 ? 1 : 5;
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      const decoder = new SamFrameDecoder();
      let frames = 0;
      const t = performance.now();
      for (let i = 0; i < stream.length; i += chunk)
        frames += decoder.push(stream.subarray(i, i + chunk)).length;
      best = Math.min(best, performance.now() - t);
      if (frames !== 2000) throw new Error(`decoded ${frames} frames`);
    }
    results.push([`chunks of ${chunk} B`, mbPerSec(stream.length, best)]);
  }
  let bestBaseline = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < stream.length; i += frameBytes) samParse(stream.subarray(i, i + frameBytes));
    bestBaseline = Math.min(bestBaseline, performance.now() - t);
  }
  const baseline = mbPerSec(stream.length, bestBaseline);
  for (const [label, rate] of results) {
    console.log(
      `  streaming, ${label.padEnd(18)} ${fmt(rate, 1).padStart(8)} MB/s   ratio to baseline ${fmt(rate / baseline, 2)}`,
    );
  }
  console.log(`  baseline: reference samParse, whole frames ${fmt(baseline, 1).padStart(5)} MB/s`);
  console.log(`  a reader at 115200 baud delivers 0.011 MB/s`);
}
