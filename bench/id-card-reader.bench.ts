// `node --import tsx bench/id-card-reader.bench.ts` (also in `npm run bench`): the time from the
// arrival of the read response's last byte to the reader's `card` event (the SDK's own overhead), over
// a socat PTY pair through the real serialport stack, beside the wire time of the 1295-byte response at
// 115200 baud (the named baseline: what no driver can beat); and the same taps over the SAM module's
// USB pipes (UsbTransport against the `usb` stand-in whose device is the virtual reader), beside the PTY.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdCardReadEvent, IdCardReader } from '../adapters/id-card/index.js';
import { SerialTransport, type Transport, UsbTransport } from '../adapters/transport/index.js';
import { VirtualIdCardReader, VirtualUsbSamBus } from '../simulator/devices/index.js';
import { createPtyPair, generatePopulation, isSocatAvailable } from '../simulator/index.js';
import {
  type BenchResult,
  type Figure,
  figure,
  type Rounds,
  runAlone,
  single,
  summarize,
} from './harness.js';
import { percentile } from './stats.js';

const TAPS = 200;
const ROUNDS = 5;
const WARM_UP = 10;
const WIRE_MS = (1295 * 10 * 1000) / 115_200;

interface Taps {
  /** Last byte of the read response → `card` event, per tap after the warm-up. */
  overhead: number[];
  /** Find command → `card` event, per tap after the warm-up. */
  total: number[];
}

function instantReader(): VirtualIdCardReader {
  return new VirtualIdCardReader({ processingDelayMs: { find: 0, select: 0, read: 0 } });
}

function readerOn(transport: Transport): IdCardReader {
  return new IdCardReader({ transport, pollIntervalMs: 5, removalPolls: 1 });
}

/** `TAPS` cards placed and removed after `WARM_UP` more, each read to its `card` event. */
async function tap(reader: IdCardReader, device: VirtualIdCardReader, seed: string): Promise<Taps> {
  const people = generatePopulation(TAPS + WARM_UP, seed);
  const taps: Taps = { overhead: [], total: [] };
  await reader.open();
  for (const [i, person] of people.entries()) {
    const card = new Promise<IdCardReadEvent>((resolve) => reader.once('card', resolve));
    device.placeCard(person);
    const event = await card;
    if (i >= WARM_UP) {
      taps.overhead.push(event.sinceLastByteMs);
      taps.total.push(event.readMs);
    }
    const removed = new Promise<void>((resolve) => reader.once('removed', resolve));
    device.removeCard();
    await removed;
  }
  return taps;
}

async function overPty(): Promise<Taps> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-bench-'));
  const pair = await createPtyPair({ dir });
  const device = instantReader();
  await device.attach(new SerialTransport({ path: pair.devicePath, baudRate: 115_200 }));
  const reader = readerOn(new SerialTransport({ path: pair.hostPath, baudRate: 115_200 }));
  try {
    return await tap(reader, device, 'bench-reader');
  } finally {
    await reader.close();
    device.detach();
    await pair.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function overUsb(): Promise<Taps> {
  const device = instantReader();
  const bus = new VirtualUsbSamBus(device);
  const reader = readerOn(new UsbTransport({ vendorId: 0x0400, productId: 0xc35a, usb: bus.module }));
  try {
    return await tap(reader, device, 'bench-reader-usb');
  } finally {
    await reader.close();
    bus.dispose();
  }
}

/** Rounds of consecutive taps, each summarised by its own percentile `p`. */
function perRound(values: readonly number[], p: number): Rounds {
  const out: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const slice = values.slice(r * (TAPS / ROUNDS), (r + 1) * (TAPS / ROUNDS)).sort((a, b) => a - b);
    out.push(percentile(slice, p));
  }
  return summarize(out);
}

export async function runIdCardReaderBench(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const notes = [`${ROUNDS} rounds of ${TAPS / ROUNDS} taps after ${WARM_UP} warm-up taps, on each link`];
  const wire = { label: 'wire time of 1295 bytes at 115200 baud', ...single(WIRE_MS) };
  const met = (p99: Rounds) => (p99.median < 2 ? 'met' : 'NOT met');
  let pty: Taps | undefined;
  if (isSocatAvailable()) {
    pty = await overPty();
    const p99 = perRound(pty.overhead, 99);
    figures.push(
      figure(
        'id-card-reader.sdk-p50',
        'PTY: last byte → card event (SDK), p50',
        'ms',
        perRound(pty.overhead, 50),
        wire,
      ),
      figure('id-card-reader.sdk-p99', 'PTY: last byte → card event (SDK), p99', 'ms', p99, wire),
      figure('id-card-reader.read-p50', 'PTY: find → card event, p50', 'ms', perRound(pty.total, 50)),
      figure('id-card-reader.read-p99', 'PTY: find → card event, p99', 'ms', perRound(pty.total, 99)),
    );
    notes.push(`a PTY does not pace bytes; target over the PTY: SDK overhead under 2 ms p99: ${met(p99)}`);
  } else {
    notes.push('PTY skipped: socat is not installed (apt-get install socat)');
  }
  const usb = await overUsb();
  const besidePty = (values: number[] | undefined, p: number) =>
    values === undefined ? undefined : { label: 'the same over the PTY', ...perRound(values, p) };
  const usbP99 = perRound(usb.overhead, 99);
  figures.push(
    figure(
      'id-card-reader.usb.sdk-p50',
      'USB: last byte → card event (SDK), p50',
      'ms',
      perRound(usb.overhead, 50),
      besidePty(pty?.overhead, 50),
    ),
    figure(
      'id-card-reader.usb.sdk-p99',
      'USB: last byte → card event (SDK), p99',
      'ms',
      usbP99,
      besidePty(pty?.overhead, 99),
    ),
    figure(
      'id-card-reader.usb.read-p50',
      'USB: find → card event, p50',
      'ms',
      perRound(usb.total, 50),
      besidePty(pty?.total, 50),
    ),
    figure(
      'id-card-reader.usb.read-p99',
      'USB: find → card event, p99',
      'ms',
      perRound(usb.total, 99),
      besidePty(pty?.total, 99),
    ),
  );
  notes.push(
    'USB: UsbTransport on the SAM pipes OUT 0x02/0x06, IN 0x81/0x85 against the `usb` stand-in (no wire time: ' +
      `a real full-speed reader moves the response in about 1 ms); target: SDK overhead under 2 ms p99: ${met(usbP99)}`,
  );
  return {
    bench: 'id-card-reader',
    title: `IdCardReader over a socat PTY (real serialport stack) and over the SAM module's USB pipes, ${TAPS} taps each`,
    figures,
    notes,
  };
}

await runAlone(import.meta.url, runIdCardReaderBench);
