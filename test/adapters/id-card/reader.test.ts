// IdCardReader against the byte-exact virtual reader over an in-memory link (real timers, short
// intervals). The same driver runs over a socat PTY in reader-pty.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type IdCardReadEvent,
  IdCardReader,
  type IdCardReaderOptions,
} from '../../../adapters/id-card/index.js';
import { createMemoryLink, type MemoryLink } from '../../../adapters/transport/index.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import {
  createInMemoryCreditProvider,
  createPseudonymizer,
  createTerminal,
  type Decision,
} from '../../../sdk/index.js';
import { cardFieldsForPerson, VirtualIdCardReader } from '../../../simulator/devices/index.js';
import { generatePopulation } from '../../../simulator/index.js';
import { slowToOpen } from '../../support/slow-to-open.js';
import { until } from '../../support/until.js';

const people = generatePopulation(6, 'reader-test');
const [alice, bob] = people as [(typeof people)[0], (typeof people)[0]];

interface Rig {
  link: MemoryLink;
  device: VirtualIdCardReader;
  reader: IdCardReader;
  cards: IdCardReadEvent[];
  errors: XinyiError[];
  states: string[];
  logs: string[];
}

const rigs: Rig[] = [];

async function rig(options: Partial<IdCardReaderOptions> = {}, baudRate?: number): Promise<Rig> {
  const link = createMemoryLink(baudRate === undefined ? {} : { baudRate });
  const device = new VirtualIdCardReader({
    processingDelayMs: { find: 1, select: 1, read: 5, status: 1, samId: 1 },
  });
  device.on('unplug', () => link.unplug());
  device.on('plug-in', () => link.plugIn());
  await device.attach(link.device);
  const logs: string[] = [];
  const log = (obj: object, msg?: string) => logs.push(JSON.stringify(obj) + (msg ?? ''));
  const reader = new IdCardReader({
    transport: link.host,
    pollIntervalMs: 15,
    lateReplyGraceMs: 10,
    reconnect: { initialDelayMs: 10, maxDelayMs: 40 },
    timeoutsMs: { find: 150, select: 150, read: 300, sam: 150 },
    logger: { debug: log, info: log, warn: log, error: log },
    ...options,
  });
  const r: Rig = { link, device, reader, cards: [], errors: [], states: [], logs };
  reader.on('card', (e) => r.cards.push(e));
  reader.on('warning', (e) => r.errors.push(e));
  reader.on('state', (s) => r.states.push(s));
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.reader.close();
    r.device.detach();
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IdCardReader: taps', () => {
  it('one tap gives one card event; the card must leave the field before it is read again', async () => {
    const r = await rig();
    await r.reader.open();
    expect(r.reader.state).toBe('ready');
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'first card');
    expect(r.cards[0]!.credential).toMatchObject({
      kind: 'id-card',
      idNumber: alice.idNumber,
      cardType: 'resident',
    });
    expect(r.cards[0]!.card.name).toBe(alice.name);
    expect(r.cards[0]!.photo).toHaveLength(1024);

    await sleep(150); // ten polls with the card still on the reader
    expect(r.cards).toHaveLength(1);
    let removed = false;
    r.reader.once('removed', () => {
      removed = true;
    });
    r.device.removeCard();
    await until(() => removed, 'removed event');
    r.device.placeCard(bob);
    await until(() => r.cards.length === 2, 'second card');
    expect(r.cards[1]!.credential.idNumber).toBe(bob.idNumber);
    expect(r.states).toContain('reading');
    expect(r.errors).toEqual([]);
  });

  it('reads fingerprints and the appended address when asked to', async () => {
    const r = await rig({ readFormat: 'with-fingerprint', readAppendedAddress: true });
    await r.reader.open();
    r.device.placeCard(alice, { fingerprint: 1024, appendedAddress: '山东省青州市测试街道2号' });
    await until(() => r.cards.length === 1, 'card');
    expect(r.cards[0]!.fingerprint).toHaveLength(1024);
    expect(r.cards[0]!.appendedAddress).toBe('山东省青州市测试街道2号');
    expect(r.device.stats.commands.readBaseWithFingerprint).toBe(1);
  });

  it('checkHealth() reports the SAM status and SAM ID, between polls', async () => {
    const r = await rig();
    await r.reader.open();
    const health = await r.reader.checkHealth();
    expect(health).toMatchObject({ samOk: true, samStatus: { code: 0x90 }, state: 'ready' });
    expect(health.samId).toBe('05.01-20230101-0000012345-0000067890');
  });

  it('models the wire: at 115200 baud a read takes at least the 112 ms of its 1295 bytes', async () => {
    const r = await rig({}, 115_200);
    await r.reader.open();
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card');
    expect(r.cards[0]!.readMs).toBeGreaterThanOrEqual(112);
    expect(r.cards[0]!.sinceLastByteMs).toBeLessThan(50);
  });
});

describe('IdCardReader: faults are survived', () => {
  it.each([
    ['garbage before the read response', { kind: 'garbage', on: 'read' }],
    ['a bad checksum on the read response', { kind: 'bad-checksum', on: 'read' }],
    ['a read slower than its timeout', { kind: 'slow', delayMs: 400, on: 'read' }],
    ['no reply to select', { kind: 'no-reply', on: 'select' }],
    ['a transient read failure (SW3 0x41)', { kind: 'status', sw3: 0x41, on: 'read' }],
    ['a transient select failure (SW3 0x81)', { kind: 'status', sw3: 0x81, on: 'select' }],
  ] as const)('%s: the tap is still read, once', async (_name, fault) => {
    const r = await rig();
    await r.reader.open();
    r.device.injectFault(fault);
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card');
    await sleep(60);
    expect(r.cards).toHaveLength(1);
    expect(r.cards[0]!.credential.idNumber).toBe(alice.idNumber);
    expect(r.errors.filter((e) => e.message.includes('could not be read'))).toEqual([]);
  });

  it('a text damaged on the wire past the XOR checksum is read again within the same tap', async () => {
    const r = await rig();
    await r.reader.open();
    r.device.injectFault({ kind: 'checksum-blind-damage', on: 'readBase' });
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card read again');
    await sleep(60);
    expect(r.cards).toHaveLength(1);
    expect(r.cards[0]!.credential.idNumber).toBe(alice.idNumber);
    expect(r.cards[0]!.card.issues).toEqual([]);
    expect(r.device.stats.faultsApplied['checksum-blind-damage']).toBe(1);
    expect(r.device.stats.commands.readBase).toBe(2);
    expect(r.reader.stats).toMatchObject({ inconsistentTexts: 1, frameErrors: 0, readFailures: 0, taps: 1 });
    expect(r.errors).toEqual([]);
  });

  it('damage that differs on every read is given up, naming fields and rules but no values', async () => {
    const r = await rig({ retries: 1 });
    await r.reader.open();
    // Two faults of one kind apply to two reads in turn: different damage each time, as on a bad line.
    r.device.injectFault({ kind: 'checksum-blind-damage', on: 'readBase', offset: 126 });
    r.device.injectFault({ kind: 'checksum-blind-damage', on: 'readBase', offset: 128 });
    r.device.placeCard(alice);
    await until(() => r.errors.length === 1, 'give-up error');
    await sleep(60);
    expect(r.cards).toEqual([]);
    expect(r.device.stats.commands.readBase).toBe(2);
    expect(r.reader.stats).toMatchObject({ inconsistentTexts: 2, readFailures: 1, taps: 0 });
    const cause = r.errors[0]!.cause as XinyiError;
    expect(cause.code).toBe('FRAME_GARBLED');
    expect(cause.details).toEqual({ issues: 'idNumber: id-number-invalid' });
    const damaged = `${Number(alice.idNumber[0]) ^ 1}${alice.idNumber.slice(1)}`;
    for (const text of [JSON.stringify(r.errors), cause.message, ...r.logs]) {
      expect(text).not.toContain(alice.idNumber.slice(0, 17));
      expect(text).not.toContain(damaged.slice(0, 17));
      expect(text).not.toContain(alice.name);
    }
  });

  it('with the retries, a read damaged twice in different places is still read within the tap', async () => {
    const r = await rig();
    await r.reader.open();
    r.device.injectFault({ kind: 'checksum-blind-damage', on: 'readBase', offset: 126 });
    r.device.injectFault({ kind: 'checksum-blind-damage', on: 'readBase', offset: 4 + 36, mask: 0x02 });
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card');
    expect(r.cards[0]!.credential.idNumber).toBe(alice.idNumber);
    expect(r.device.stats.commands.readBase).toBe(3);
    expect(r.reader.stats.inconsistentTexts).toBe(2);
  });

  it('the same inconsistent text read twice is what the card holds: handed on with its issues', async () => {
    const r = await rig();
    await r.reader.open();
    const fields = cardFieldsForPerson(alice);
    const last = fields.idNumber.at(-1)!;
    fields.idNumber = `${fields.idNumber.slice(0, -1)}${last === '0' ? '1' : '0'}`;
    r.device.placeCard(fields);
    await until(() => r.cards.length === 1, 'card handed on');
    expect(r.device.stats.commands.readBase).toBe(2);
    expect(r.cards[0]!.credential.idNumber).toBe(fields.idNumber);
    expect(r.cards[0]!.card.issues).toContainEqual(
      expect.objectContaining({ field: 'idNumber', code: 'id-number-invalid' }),
    );
    expect(r.reader.stats).toMatchObject({ inconsistentTexts: 1, readFailures: 0, taps: 1 });
    expect(r.errors).toEqual([]);
  });

  it('rereadInconsistentText: false hands the damaged text on with its issues', async () => {
    const r = await rig({ rereadInconsistentText: false });
    await r.reader.open();
    r.device.injectFault({ kind: 'checksum-blind-damage', on: 'readBase' });
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card');
    expect(r.cards[0]!.credential.idNumber).not.toBe(alice.idNumber);
    expect(r.cards[0]!.card.issues).toContainEqual(
      expect.objectContaining({ field: 'idNumber', code: 'id-number-invalid' }),
    );
    expect(r.device.stats.commands.readBase).toBe(1);
  });

  it('a card that fails authentication (SW3 0x31) is reported once and not re-read until it leaves', async () => {
    const r = await rig();
    await r.reader.open();
    r.device.injectFault({ kind: 'status', sw3: 0x31, on: 'read' });
    r.device.placeCard(alice);
    await until(() => r.errors.length === 1, 'read failure');
    expect(r.errors[0]!.code).toBe('DEVICE_STATUS');
    expect(r.errors[0]!.cause).toMatchObject({
      code: 'DEVICE_STATUS',
      details: { sw3: 0x31, transient: false },
    });
    await sleep(100);
    expect(r.cards).toEqual([]);
    expect(r.device.stats.commands.readBase).toBe(1);
    r.device.removeCard();
    await sleep(60);
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card on the second tap');
  });

  it('a tap whose reads keep failing is given up after the retries, with one error', async () => {
    const r = await rig({ retries: 2 });
    await r.reader.open();
    r.device.injectFault({ kind: 'status', sw3: 0x41, on: 'readBase', persistent: true });
    r.device.placeCard(alice);
    await until(() => r.errors.length === 1, 'give-up error');
    await sleep(80);
    expect(r.device.stats.commands.readBase).toBe(3);
    expect(r.errors).toHaveLength(1);
    expect(r.reader.stats.readFailures).toBe(1);
  });

  it('a card pulled mid-read gives no card event and no hang; the next tap reads', async () => {
    const r = await rig();
    await r.reader.open();
    r.device.injectFault({ kind: 'card-pulled-mid-read' });
    r.device.placeCard(alice);
    await until(() => !r.device.cardPresent, 'card pulled');
    await sleep(400);
    expect(r.cards).toEqual([]);
    expect(r.reader.state).toBe('ready');
    r.device.placeCard(bob);
    await until(() => r.cards.length === 1, 'next tap');
    expect(r.cards[0]!.credential.idNumber).toBe(bob.idNumber);
  });

  it('a SAM that fails its self-test (SW3 0x60) faults the reader instead of polling on', async () => {
    const r = await rig();
    r.device.injectFault({ kind: 'status', sw3: 0x60, on: 'find', persistent: true });
    await r.reader.open();
    await until(() => r.reader.state === 'faulted', 'faulted');
    expect(r.errors.at(-1)!.details).toMatchObject({ sw3: 0x60 });
  });

  it('unplug: a typed disconnect, reconnection with backoff, and reading resumes', async () => {
    const r = await rig();
    const disconnects: XinyiError[] = [];
    r.reader.on('disconnect', (e) => disconnects.push(e));
    await r.reader.open();
    r.device.injectFault({ kind: 'unplug', forMs: 80, on: 'find' });
    await until(() => r.reader.state === 'reconnecting', 'reconnecting');
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]!.code).toBe('DEVICE_DISCONNECTED');
    await until(() => r.reader.state === 'ready', 'ready again');
    expect(r.reader.stats.reconnects).toBe(1);
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card after reconnect');
  });
});

describe('IdCardReader: lifecycle', () => {
  it('open() on a port that is not there rejects DEVICE_NOT_FOUND and returns to closed', async () => {
    const r = await rig();
    r.link.unplug();
    await expect(r.reader.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(r.reader.state).toBe('closed');
  });

  it('close() in the middle of a read leaves no pending promise and is idempotent', async () => {
    const r = await rig();
    await r.reader.open();
    r.device.injectFault({ kind: 'slow', delayMs: 200, on: 'read' });
    r.device.placeCard(alice);
    await until(() => r.reader.state === 'reading', 'reading');
    const health = r.reader.checkHealth();
    await r.reader.close();
    await r.reader.close();
    await expect(health).rejects.toMatchObject({ code: 'CLOSED' });
    expect(r.reader.state).toBe('closed');
    expect(r.link.host.isOpen).toBe(false);
    await sleep(250);
    expect(r.cards).toEqual([]);
    await expect(r.reader.checkHealth()).rejects.toSatisfy((e) => isXinyiError(e, 'CLOSED'));
  });

  it('validates its options, naming the option', () => {
    const link = createMemoryLink();
    expect(() => new IdCardReader({ transport: link.host, pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
    expect(() => new IdCardReader({ transport: link.host, timeoutsMs: { read: -1 } })).toThrow(
      /timeoutsMs.read/,
    );
    expect(() => new IdCardReader({ transport: link.host, readFormat: 'photo' as never })).toThrow(
      /readFormat/,
    );
    expect(() => new IdCardReader({ transport: link.host, rereadInconsistentText: 1 as never })).toThrow(
      /rereadInconsistentText/,
    );
    expect(() => new IdCardReader({} as IdCardReaderOptions)).toThrow(/transport/);
  });

  it('never logs or reports the ID number or the name', async () => {
    const r = await rig();
    await r.reader.open();
    r.device.injectFault({ kind: 'status', sw3: 0x33, on: 'read' });
    r.device.placeCard(alice);
    await until(() => r.errors.length === 1, 'error');
    r.device.removeCard();
    await sleep(60);
    r.device.placeCard(alice);
    await until(() => r.cards.length === 1, 'card');
    const text =
      JSON.stringify(r.logs) + r.errors.map((e) => `${e.message}${JSON.stringify(e.details)}`).join();
    expect(text).not.toContain(alice.idNumber);
    expect(text).not.toContain(alice.idNumber.slice(0, 14));
    expect(text).not.toContain(alice.name);
  });
});

describe('terminal.attach(reader)', () => {
  it('presents every tap and reports device states; the decision carries only the masked number', async () => {
    const r = await rig();
    const pseudonymizer = createPseudonymizer('reader-test-key-0123456789');
    const platform = createInMemoryCreditProvider();
    platform.set(pseudonymizer.pseudonymize(alice.idNumber), { tier: 'AA', lists: [] });
    const terminal = createTerminal({
      terminalId: 'kiosk-1',
      scene: 'library-kiosk',
      pseudonymizer,
      credit: [platform],
    });
    const decisions: Decision[] = [];
    const devices: { device: string; state: string; reason?: string }[] = [];
    terminal.on('decision', (d) => decisions.push(d));
    terminal.on('device', (e) => devices.push(e));
    const detach = terminal.attach(r.reader);
    await r.reader.open();
    r.device.placeCard(alice);
    await until(() => decisions.length === 1, 'decision');
    expect(decisions[0]!.outcome).toBe('granted');
    expect(decisions[0]!.subject!.masked).toBe(`${alice.idNumber[0]}${'*'.repeat(16)}${alice.idNumber[17]}`);
    expect(JSON.stringify(decisions[0])).not.toContain(alice.idNumber);
    expect(devices.map((e) => e.state)).toEqual(expect.arrayContaining(['opening', 'ready', 'reading']));

    r.device.injectFault({ kind: 'unplug', forMs: 50, on: 'find' });
    await until(() => devices.some((e) => e.state === 'reconnecting'), 'reconnecting state');
    expect(devices.find((e) => e.state === 'reconnecting')).toEqual({
      device: 'id-card-reader',
      state: 'reconnecting',
      reason: 'DEVICE_DISCONNECTED',
    });
    detach();
    await until(() => r.reader.state === 'ready', 'ready');
    r.device.removeCard();
    await sleep(60);
    r.device.placeCard(alice);
    await until(() => r.cards.length === 2, 'second tap');
    await sleep(20);
    expect(decisions).toHaveLength(1);
    await terminal.close();
  });
});

describe('IdCardReader: open() and close() with an AbortSignal', () => {
  it('an abort while the port opens closes the reader again and rejects ABORTED', async () => {
    const r = await rig();
    await r.reader.close();
    const slow = slowToOpen(r.link.host);
    const reader = new IdCardReader({ transport: slow.transport, pollIntervalMs: 15 });
    const controller = new AbortController();
    const opening = reader.open({ signal: controller.signal });
    expect(reader.state).toBe('opening');
    controller.abort(new Error('operator gave up'));
    slow.finish();
    await expect(opening).rejects.toMatchObject({
      code: 'ABORTED',
      cause: expect.objectContaining({ message: 'operator gave up' }),
    });
    expect(reader.state).toBe('closed');
    expect(slow.transport.isOpen).toBe(false);
  });

  it('an aborted signal opens nothing; a signal that never fires changes nothing', async () => {
    const r = await rig();
    await r.reader.close();
    await expect(r.reader.open({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(r.reader.state).toBe('closed');
    await r.reader.open({ signal: new AbortController().signal });
    expect(r.reader.state).toBe('ready');
    await r.reader.close({ signal: new AbortController().signal });
    expect(r.reader.state).toBe('closed');
  });

  it('refuses a signal that is not an AbortSignal with INVALID_ARGUMENT', async () => {
    const r = await rig();
    await r.reader.close();
    await expect(r.reader.open({ signal: {} as AbortSignal })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(r.reader.state).toBe('closed');
  });
});
