// `node --import tsx bench/id-card-reader.bench.ts` (also in `npm run bench`): over a socat PTY pair through the real serialport stack, the time from the arrival
// of the read response's last byte to the reader's `card` event (the SDK's own overhead), beside the
// wire time of the 1295-byte response at 115200 baud (the named baseline: what no driver can beat).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdCardReadEvent, IdCardReader } from '../adapters/id-card/index.js';
import { SerialTransport } from '../adapters/transport/index.js';
import { VirtualIdCardReader } from '../simulator/devices/index.js';
import { createPtyPair, generatePopulation, isSocatAvailable } from '../simulator/index.js';
import { type BenchResult, figure, runAlone, single, summarize } from './harness.js';
import { percentile } from './stats.js';

const TAPS = 200;
const ROUNDS = 5;
const WARM_UP = 10;
const WIRE_MS = (1295 * 10 * 1000) / 115_200;

export async function runIdCardReaderBench(): Promise<BenchResult> {
  if (!isSocatAvailable()) {
    return {
      bench: 'id-card-reader',
      title: 'IdCardReader over a socat PTY',
      figures: [],
      notes: ['skipped: socat is not installed (apt-get install socat)'],
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-bench-'));
  const pair = await createPtyPair({ dir });
  const device = new VirtualIdCardReader({ processingDelayMs: { find: 0, select: 0, read: 0 } });
  await device.attach(new SerialTransport({ path: pair.devicePath, baudRate: 115_200 }));
  const reader = new IdCardReader({
    transport: new SerialTransport({ path: pair.hostPath, baudRate: 115_200 }),
    pollIntervalMs: 5,
    removalPolls: 1,
  });
  const people = generatePopulation(TAPS + WARM_UP, 'bench-reader');
  const overhead: number[] = [];
  const total: number[] = [];
  try {
    await reader.open();
    for (const person of people) {
      const card = new Promise<IdCardReadEvent>((resolve) => reader.once('card', resolve));
      device.placeCard(person);
      const event = await card;
      if (people.indexOf(person) >= WARM_UP) {
        overhead.push(event.sinceLastByteMs);
        total.push(event.readMs);
      }
      const removed = new Promise<void>((resolve) => reader.once('removed', resolve));
      device.removeCard();
      await removed;
    }
  } finally {
    await reader.close();
    device.detach();
    await pair.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // Rounds of consecutive taps, each summarised by its own p50 and p99.
  const perRound = (values: number[], p: number) => {
    const out: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const slice = values.slice(r * (TAPS / ROUNDS), (r + 1) * (TAPS / ROUNDS)).sort((a, b) => a - b);
      out.push(percentile(slice, p));
    }
    return summarize(out);
  };
  const wire = { label: 'wire time of 1295 bytes at 115200 baud', ...single(WIRE_MS) };
  const p99 = perRound(overhead, 99);
  return {
    bench: 'id-card-reader',
    title: `IdCardReader over a socat PTY (real serialport stack), ${TAPS} taps`,
    figures: [
      figure(
        'id-card-reader.sdk-p50',
        'last byte → card event (SDK), p50',
        'ms',
        perRound(overhead, 50),
        wire,
      ),
      figure('id-card-reader.sdk-p99', 'last byte → card event (SDK), p99', 'ms', p99, wire),
      figure('id-card-reader.read-p50', 'find → card event over the PTY, p50', 'ms', perRound(total, 50)),
      figure('id-card-reader.read-p99', 'find → card event over the PTY, p99', 'ms', perRound(total, 99)),
    ],
    notes: [
      `${ROUNDS} rounds of ${TAPS / ROUNDS} taps after ${WARM_UP} warm-up taps; a PTY does not pace bytes`,
      `target: SDK overhead under 2 ms p99: ${p99.median < 2 ? 'met' : 'NOT met'}`,
    ],
  };
}

await runAlone(import.meta.url, runIdCardReaderBench);
