// `npm run bench`: over a socat PTY pair through the real serialport stack, the time from the arrival
// of the read response's last byte to the reader's `card` event (the SDK's own overhead), beside the
// wire time of the 1295-byte response at 115200 baud (the named baseline: what no driver can beat).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdCardReadEvent, IdCardReader } from '../adapters/id-card/index.js';
import { SerialTransport } from '../adapters/transport/index.js';
import { VirtualIdCardReader } from '../simulator/devices/index.js';
import { createPtyPair, generatePopulation, isSocatAvailable } from '../simulator/index.js';
import { fmt, percentile } from './stats.js';

const TAPS = 200;
const WIRE_MS = (1295 * 10 * 1000) / 115_200;

export async function runIdCardReaderBench(): Promise<void> {
  console.log(`\nIdCardReader over a socat PTY (real serialport stack), ${TAPS} taps`);
  if (!isSocatAvailable()) {
    console.log('  skipped: socat is not installed (apt-get install socat)');
    return;
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
  const people = generatePopulation(TAPS, 'bench-reader');
  const overhead: number[] = [];
  const total: number[] = [];
  try {
    await reader.open();
    for (const person of people) {
      const card = new Promise<IdCardReadEvent>((resolve) => reader.once('card', resolve));
      device.placeCard(person);
      const event = await card;
      overhead.push(event.sinceLastByteMs);
      total.push(event.readMs);
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
  overhead.sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  const ms = (v: number) => `${fmt(v, 3).padStart(8)} ms`;
  console.log(
    `  last byte → card event (SDK)   p50 ${ms(percentile(overhead, 50))}   p99 ${ms(percentile(overhead, 99))}`,
  );
  console.log(
    `  find → card event over the PTY p50 ${ms(percentile(total, 50))}   p99 ${ms(percentile(total, 99))}`,
  );
  console.log(
    `  baseline: wire time of 1295 bytes at 115200 baud ${fmt(WIRE_MS, 1)} ms (a PTY does not pace bytes)`,
  );
  console.log(`  ratio SDK p99 / wire time      ${fmt(percentile(overhead, 99) / WIRE_MS, 4)}`);
  console.log(`  target: SDK overhead under 2 ms p99: ${percentile(overhead, 99) < 2 ? 'met' : 'NOT met'}`);
}
