// GateDriverBase's link discipline, with a driver whose every request the test completes by hand:
// one request on the wire at a time, and an open waits at most for the one request already there,
// never behind polls queued after it started waiting.
import { afterEach, describe, expect, it } from 'vitest';
import { AaGateDriver } from '../../../adapters/gate/aa-gate.js';
import { GateDriverBase } from '../../../adapters/gate/gate-driver.js';
import { createMemoryLink } from '../../../adapters/transport/index.js';
import type { GateAlarmEvent, GateDeviceState, GateDirection, GateStatus } from '../../../sdk/gate/gate.js';
import { slowToOpen } from '../../support/slow-to-open.js';

const IDLE: GateStatus = { state: 'closed', entryCount: 0, exitCount: 0, alarms: [] };

/** Every request waits until the test calls `answer()`; `log` says what went on the wire, in order. */
class HandDriver extends GateDriverBase {
  readonly log: string[] = [];
  readonly #waiting: Array<{ what: string; resolve: () => void }> = [];
  next: GateStatus = IDLE;
  /** While set, releasing the link waits for it (a port the OS is slow to let go). */
  releaseHeld: Promise<void> | undefined;

  constructor() {
    super('hand-driver', { pollIntervalMs: 1_000_000 });
  }

  get onTheWire(): string | undefined {
    return this.#waiting[0]?.what;
  }

  /** Completes the request on the wire. */
  async answer(): Promise<void> {
    this.#waiting.shift()!.resolve();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  protected async openLink(): Promise<void> {}
  protected async closeLink(): Promise<void> {
    for (const w of this.#waiting.splice(0)) w.resolve();
    await this.releaseHeld;
  }
  protected async queryStatus(): Promise<GateStatus> {
    await this.#request('status');
    return this.next;
  }
  protected sendOpen(direction: GateDirection, count: number): Promise<void> {
    return this.#request(`open ${direction} ${count}`);
  }
  protected sendClose(): Promise<void> {
    return this.#request('close');
  }

  #request(what: string): Promise<void> {
    if (this.#waiting.length > 0) throw new Error(`${what} while ${this.#waiting[0]!.what} is on the wire`);
    this.log.push(what);
    return new Promise((resolve) => this.#waiting.push({ what, resolve }));
  }
}

let driver: HandDriver | undefined;
afterEach(async () => {
  await driver?.disconnect();
  driver = undefined;
});

describe('GateDriverBase link discipline', () => {
  it('an open goes before every poll waiting for the link: it waits for the one request on the wire only', async () => {
    driver = new HandDriver();
    await driver.connect();
    expect(driver.onTheWire).toBe('status');
    // Three health checks queue behind the poll on the wire, then the gate must open.
    const checks = [driver.status(), driver.status(), driver.status()];
    const opening = driver.open('entry');
    const closing = driver.close();
    await driver.answer();
    expect(driver.onTheWire).toBe('open entry 1');
    await driver.answer();
    expect(driver.onTheWire).toBe('close');
    await driver.answer();
    await Promise.all([opening, closing]);
    for (let i = 0; i < 3; i++) await driver.answer();
    await Promise.all(checks);
    expect(driver.log).toEqual(['status', 'open entry 1', 'close', 'status', 'status', 'status']);
  });

  it('the first status after connect reports every alarm already on; counters are only a baseline', async () => {
    driver = new HandDriver();
    const alarms: GateAlarmEvent[] = [];
    const passages: unknown[] = [];
    driver.onAlarm((e) => alarms.push(e));
    driver.onPassage((e) => passages.push(e));
    driver.next = { state: 'alarm', entryCount: 41, exitCount: 7, alarms: ['fire', 'external'] };
    await driver.connect();
    await driver.answer();
    expect(alarms.map(({ alarm, active }) => [alarm, active])).toEqual([
      ['fire', true],
      ['external', true],
    ]);
    expect(passages).toEqual([]);
    // Still on at the next status: not reported twice.
    const again = driver.status();
    await driver.answer();
    await again;
    expect(alarms).toHaveLength(2);
  });

  it('open() on a disconnected driver rejects with CLOSED', async () => {
    driver = new HandDriver();
    await driver.connect();
    await driver.answer();
    await driver.disconnect();
    await expect(driver.open('exit', { count: 2 })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('GateDriverBase: connect() and disconnect() with an AbortSignal', () => {
  function slowAaGate() {
    const memory = createMemoryLink();
    const slow = slowToOpen(memory.host);
    const gate = new AaGateDriver({ transport: slow.transport, pollIntervalMs: 1_000_000 });
    const states: GateDeviceState[] = [];
    gate.onState((state) => states.push(state));
    return { memory, slow, gate, states };
  }

  it('an abort while the link opens disconnects again, releases the port and rejects ABORTED', async () => {
    const { memory, slow, gate, states } = slowAaGate();
    const controller = new AbortController();
    const connecting = gate.connect({ signal: controller.signal });
    expect(gate.deviceState).toBe('opening');
    controller.abort(new Error('operator gave up'));
    slow.finish();
    await expect(connecting).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'aa-gate.connect() aborted',
      cause: expect.objectContaining({ message: 'operator gave up' }),
    });
    expect(gate.deviceState).toBe('closed');
    expect(states).toEqual(['opening', 'closed']);
    expect(memory.host.isOpen).toBe(false);
  });

  it('a disconnect() that overtakes connect() releases the port once it has opened', async () => {
    const { memory, slow, gate } = slowAaGate();
    const connecting = gate.connect();
    await gate.disconnect();
    slow.finish();
    await connecting;
    expect(gate.deviceState).toBe('closed');
    expect(memory.host.isOpen).toBe(false);
    expect(memory.host.listenerCount('data')).toBe(0);
  });

  it('an aborted signal connects nothing; a signal that never fires changes nothing; not a signal is INVALID_ARGUMENT', async () => {
    driver = new HandDriver();
    await expect(driver.connect({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(driver.connect({ signal: {} as AbortSignal })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(driver.deviceState).toBe('closed');
    expect(driver.log).toEqual([]);
    await driver.connect({ signal: new AbortController().signal });
    expect(driver.deviceState).toBe('ready');
    await driver.disconnect({ signal: new AbortController().signal });
    expect(driver.deviceState).toBe('closed');
  });

  it('disconnect({ signal }): closed at once; the signal stops only the wait for the link to be released', async () => {
    driver = new HandDriver();
    await driver.connect();
    let release!: () => void;
    driver.releaseHeld = new Promise<void>((resolve) => (release = resolve));
    const controller = new AbortController();
    const disconnecting = driver.disconnect({ signal: controller.signal });
    expect(driver.deviceState).toBe('closed');
    controller.abort();
    await expect(disconnecting).rejects.toMatchObject({ code: 'ABORTED' });
    release();
  });
});
