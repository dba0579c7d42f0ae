// IdCardReader through the real serialport stack: the virtual reader on one end of a socat PTY pair,
// the driver on the other, as a POS would open /dev/ttyUSB0. The contract part also runs against a
// real reader when XINYI_IDCARD_PORT names its port (and XINYI_IDCARD_BAUD its rate, default 115200).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type IdCardReadEvent, IdCardReader } from '../../../adapters/id-card/index.js';
import { SerialTransport } from '../../../adapters/transport/index.js';
import type { XinyiError } from '../../../sdk/errors.js';
import { VirtualIdCardReader, type VirtualIdCardReaderFault } from '../../../simulator/devices/index.js';
import { generatePopulation } from '../../../simulator/population.js';
import { attachOverPty, describeOverPty, ptyRigMissing } from '../../support/pty-rig.js';
import { until } from '../../support/until.js';
import { describeReaderContract } from './reader-contract.js';

const unavailable = await ptyRigMissing();
const realPort = process.env.XINYI_IDCARD_PORT;
const [alice, bob] = generatePopulation(2, 'reader-pty') as [
  ReturnType<typeof generatePopulation>[0],
  ReturnType<typeof generatePopulation>[0],
];

const workDir = mkdtempSync(join(tmpdir(), 'xinyi-reader-pty-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/**
 * Resolves once the device has answered `count` more card searches. The reader sends a search only
 * when it has handled the last one (and any read it started), so every earlier poll is then done:
 * "the card stays and is not read again" is checked over polls, not over wall-clock time.
 */
function searchesAnswered(device: VirtualIdCardReader, count: number): Promise<void> {
  return new Promise((resolve) => {
    let left = count;
    const onResponse = (e: { name: string }) => {
      if (e.name !== 'findCard' || --left > 0) return;
      device.off('response', onResponse);
      resolve();
    };
    device.on('response', onResponse);
  });
}

/** Resolves on the device's next command named `name` (received, not yet answered). */
function nextCommand(device: VirtualIdCardReader, name: string): Promise<void> {
  return new Promise((resolve) => {
    const onCommand = (e: { name: string }) => {
      if (e.name !== name) return;
      device.off('command', onCommand);
      resolve();
    };
    device.on('command', onCommand);
  });
}

interface PtyRig {
  device: VirtualIdCardReader;
  reader: IdCardReader;
  cards: IdCardReadEvent[];
  errors: XinyiError[];
  close(): Promise<void>;
}

async function ptyRig(): Promise<PtyRig> {
  const device = new VirtualIdCardReader({
    processingDelayMs: { find: 1, select: 1, read: 5, status: 1, samId: 1 },
  });
  const link = await attachOverPty(device);
  const reader = new IdCardReader({
    transport: new SerialTransport({ path: link.hostPath }),
    pollIntervalMs: 20,
    lateReplyGraceMs: 20,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    timeoutsMs: { find: 200, select: 200, read: 400 },
  });
  const rig: PtyRig = {
    device,
    reader,
    cards: [],
    errors: [],
    close: async () => {
      await reader.close();
      device.detach();
      await link.close();
    },
  };
  reader.on('card', (e) => rig.cards.push(e));
  reader.on('warning', (e) => rig.errors.push(e));
  return rig;
}

describeOverPty('IdCardReader over a socat PTY pair', unavailable, () => {
  let rig: PtyRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('a tap, the card leaving, and a second tap', async () => {
    rig = await ptyRig();
    await rig.reader.open();
    rig.device.placeCard(alice);
    await until(() => rig!.cards.length === 1, 'first card');
    expect(rig.cards[0]!.credential.idNumber).toBe(alice.idNumber);
    await searchesAnswered(rig.device, 5);
    expect(rig.cards).toHaveLength(1);
    const removed = once(rig.reader, 'removed');
    rig.device.removeCard();
    await removed;
    rig.device.placeCard(bob);
    await until(() => rig!.cards.length === 2, 'second card');
    expect(rig.cards[1]!.credential.idNumber).toBe(bob.idNumber);
    expect(rig.errors).toEqual([]);
  });

  const faults: [string, VirtualIdCardReaderFault][] = [
    ['garbage before the response', { kind: 'garbage', on: 'read' }],
    ['a bad checksum', { kind: 'bad-checksum', on: 'read' }],
    ['a slow reply', { kind: 'slow', delayMs: 600, on: 'read' }],
    ['a missing reply', { kind: 'no-reply', on: 'select' }],
    ['SW3 0x41 (read failed)', { kind: 'status', sw3: 0x41, on: 'read' }],
    ['SW3 0x80 on select (card moved)', { kind: 'status', sw3: 0x81, on: 'select' }],
  ];
  it.each(faults)('survives %s and reads the tap once', async (_name, fault) => {
    rig = await ptyRig();
    await rig.reader.open();
    rig.device.injectFault(fault);
    rig.device.placeCard(alice);
    await until(() => rig!.cards.length === 1, 'card');
    await searchesAnswered(rig.device, 3);
    expect(rig.cards).toHaveLength(1);
  });

  it('reports a card that fails authentication (SW3 0x31) and waits for the next tap', async () => {
    rig = await ptyRig();
    await rig.reader.open();
    rig.device.injectFault({ kind: 'status', sw3: 0x31, on: 'read' });
    rig.device.placeCard(alice);
    await until(() => rig!.errors.length === 1, 'error');
    expect(rig.errors[0]!.code).toBe('DEVICE_STATUS');
    expect(rig.cards).toEqual([]);
  });

  it('a card pulled mid-read: no event, no hang, the next tap reads', async () => {
    rig = await ptyRig();
    await rig.reader.open();
    rig.device.injectFault({ kind: 'card-pulled-mid-read' });
    rig.device.placeCard(alice);
    await until(() => !rig!.device.cardPresent, 'card pulled');
    await searchesAnswered(rig.device, 3);
    expect(rig.cards).toEqual([]);
    rig.device.placeCard(bob);
    await until(() => rig!.cards.length === 1, 'next tap');
    expect(rig.cards[0]!.credential.idNumber).toBe(bob.idNumber);
  });

  it('the port vanishes (socat killed) and comes back: typed disconnect, reconnect, reading resumes', async () => {
    rig = await ptyRig();
    const disconnects: XinyiError[] = [];
    rig.reader.on('disconnect', (e) => disconnects.push(e));
    await rig.reader.open();
    rig.device.injectFault({ kind: 'unplug', forMs: 150, on: 'find' });
    await until(() => rig!.reader.state === 'reconnecting', 'reconnecting');
    expect(disconnects[0]!.code).toBe('DEVICE_DISCONNECTED');
    await until(() => rig!.reader.state === 'ready', 'ready again', 6000);
    rig.device.placeCard(alice);
    await until(() => rig!.cards.length === 1, 'card after reconnect');
  });

  it('a reply still owed when close() is called is not taken for the first reply after open()', async () => {
    rig = await ptyRig();
    await rig.reader.open();
    // The next card search is answered 150 ms late: after close(), open() and the 20 ms grace.
    rig.device.injectFault({ kind: 'slow', delayMs: 150, on: 'findCard' });
    await nextCommand(rig.device, 'findCard');
    await rig.reader.close();
    await rig.reader.open();
    const health = await rig.reader.checkHealth();
    expect(health.samOk).toBe(true);
    expect(health.samId).toMatch(/^\d{2}\.\d{2}-\d+-\d+-\d+$/);
  });

  describeReaderContract('virtual reader over a socat PTY', ptyRig);
});

describe.skipIf(!realPort)(
  `ID-card reader contract: real reader${realPort ? ` on ${realPort}` : ' (skipped: set XINYI_IDCARD_PORT)'}`,
  () => {
    if (!realPort) return;
    describeReaderContract(realPort, async () => {
      const reader = new IdCardReader({
        transport: new SerialTransport({
          path: realPort,
          baudRate: Number(process.env.XINYI_IDCARD_BAUD ?? 115_200),
        }),
      });
      return { reader, close: () => reader.close() };
    });
  },
);
