// The device link every driver is built on (adapters/device-link.ts), against a hand-driven device:
// states, the generation that silences an old handle, open-error mapping, reopening with backoff on
// fake timers, and a close that wakes every wait and releases what an overtaken opening opened.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeviceLink, type DeviceLinkState, TransportListeners } from '../../adapters/device-link.js';
import { reconnectPolicy } from '../../adapters/reconnect.js';
import { createMemoryLink } from '../../adapters/transport/index.js';
import { XinyiError } from '../../sdk/errors.js';
import { silentLogger } from '../../sdk/logger.js';
import { slowToOpen } from '../support/slow-to-open.js';

/** A device whose openings the test decides: each `open()` takes the next outcome, or waits for `let`. */
function handDevice(options: { maxAttempts?: number } = {}) {
  const states: Array<[DeviceLinkState | 'busy', string | undefined]> = [];
  const calls: string[] = [];
  const outcomes: Array<Error | 'ok' | 'hold'> = [];
  let letOpen: (() => void) | undefined;
  const link: DeviceLink<'busy'> = new DeviceLink<'busy'>({
    name: 'hand-device',
    noun: 'device',
    target: () => '/dev/hand0',
    reconnect: reconnectPolicy('hand-device', {
      initialDelayMs: 100,
      maxDelayMs: 400,
      maxAttempts: options.maxAttempts ?? 0,
    }),
    logger: silentLogger,
    onState: (next, _previous, reason) => states.push([next, reason]),
    hooks: {
      open: async (generation) => {
        calls.push(`open ${generation}`);
        const outcome = outcomes.shift() ?? 'ok';
        if (outcome === 'hold') await new Promise<void>((resolve) => (letOpen = resolve));
        else if (outcome !== 'ok') throw outcome;
      },
      release: async () => void calls.push('release'),
      ready: (generation) => void calls.push(`ready ${generation}`),
      lost: (error) => void calls.push(`lost ${error.code}`),
      closing: () => void calls.push('closing'),
      reopened: () => void calls.push('reopened'),
      gaveUp: (attempts) => void calls.push(`gave up after ${attempts}`),
    },
  });
  return { link, states, calls, outcomes, letOpen: () => letOpen?.() };
}

const unplugged = () => new XinyiError('DEVICE_DISCONNECTED', 'the device went away');

afterEach(() => {
  vi.useRealTimers();
});

describe('DeviceLink', () => {
  it('opens closed → opening → ready, and closes at once, releasing the device', async () => {
    const d = handDevice();
    await d.link.open(undefined, 'Hand.open()');
    expect(d.link.state).toBe('ready');
    await d.link.close();
    expect(d.states.map(([state]) => state)).toEqual(['opening', 'ready', 'closed']);
    expect(d.calls).toEqual(['open 1', 'ready 1', 'closing', 'release']);
  });

  it('a second open() is INVALID_ARGUMENT naming the call and the state; close() when closed does nothing', async () => {
    const d = handDevice();
    await d.link.close();
    await d.link.open(undefined, 'Hand.open()');
    await expect(d.link.open(undefined, 'Hand.open()')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'Hand.open(): device is ready',
    });
    expect(d.calls).toEqual(['open 1', 'ready 1']);
  });

  it('maps an open failure by its errno (busy, permission, not found), back to closed; an XinyiError passes as it is', async () => {
    const d = handDevice();
    const busy = Object.assign(new Error('Resource busy'), { code: 'EBUSY' });
    const denied = Object.assign(new Error('Permission denied'), { code: 'EACCES' });
    const own = new XinyiError('NATIVE_MODULE_UNAVAILABLE', 'no binding');
    d.outcomes.push(busy, denied, new Error('something else'), own);
    await expect(d.link.open(undefined, 'Hand.open()')).rejects.toMatchObject({
      code: 'DEVICE_BUSY',
      cause: busy,
      details: { path: '/dev/hand0', reason: 'EBUSY' },
    });
    expect(d.link.state).toBe('closed');
    await expect(d.link.open(undefined, 'Hand.open()')).rejects.toMatchObject({
      code: 'DEVICE_PERMISSION_DENIED',
    });
    await expect(d.link.open(undefined, 'Hand.open()')).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await expect(d.link.open(undefined, 'Hand.open()')).rejects.toBe(own);
    expect(d.link.state).toBe('closed');
  });

  it('a lost device: reconnecting with the cause, released, reopened with backoff, ready in a new period', async () => {
    vi.useFakeTimers();
    const d = handDevice();
    await d.link.open(undefined, 'Hand.open()');
    const first = d.link.generation;
    const late: string[] = [];
    const lateReport = d.link.bind(first, (what: string) => late.push(what));
    d.outcomes.push(new Error('ENOENT'), new Error('ENOENT'));
    d.link.lost(unplugged());
    expect(d.link.state).toBe('reconnecting');
    expect(d.states.at(-1)).toEqual(['reconnecting', 'DEVICE_DISCONNECTED']);
    expect(d.link.isCurrent(first)).toBe(false);
    lateReport('a report of the dead handle');
    expect(late).toEqual([]);
    // 100 ms before the first attempt, then 200 and 400 after the two failures.
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(d.link.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(400);
    expect(d.link.state).toBe('ready');
    const second = d.link.generation;
    expect(d.calls).toEqual([
      'open 1',
      'ready 1',
      'lost DEVICE_DISCONNECTED',
      'release',
      `open ${second}`,
      `open ${second}`,
      `open ${second}`,
      'reopened',
      `ready ${second}`,
    ]);
    d.link.bind(second, (what: string) => late.push(what))('a report of the new handle');
    expect(late).toEqual(['a report of the new handle']);
  });

  it('gives up after maxAttempts: faulted with DEVICE_DISCONNECTED, as watchers hear it until they unsubscribe', async () => {
    vi.useFakeTimers();
    const d = handDevice({ maxAttempts: 2 });
    await d.link.open(undefined, 'Hand.open()');
    const watched: Array<[string, string | undefined]> = [];
    const unwatch = d.link.watch((state, reason) => watched.push([state, reason]));
    const asSource: Array<[string, string | undefined]> = [];
    d.link.watchAsSource((state, reason) => asSource.push([state, reason]));
    d.outcomes.push(new Error('ENOENT'), new Error('ENOENT'));
    d.link.lost(new XinyiError('DEVICE_TIMEOUT', 'three polls unanswered'));
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(d.link.state).toBe('faulted');
    expect(d.calls.slice(-1)).toEqual(['gave up after 2']);
    expect(watched).toEqual([
      ['reconnecting', 'DEVICE_TIMEOUT'],
      ['faulted', 'DEVICE_DISCONNECTED'],
    ]);
    // A reader's or scanner's onState: the reason rides on `reconnecting` only, as before the link.
    expect(asSource).toEqual([
      ['reconnecting', 'DEVICE_TIMEOUT'],
      ['faulted', undefined],
    ]);
    unwatch();
    await d.link.close();
    expect(watched).toHaveLength(2);
    expect(d.states.at(-1)).toEqual(['closed', undefined]);
  });

  it('close() wakes the backoff wait at once and stops reopening', async () => {
    vi.useFakeTimers();
    const d = handDevice();
    await d.link.open(undefined, 'Hand.open()');
    d.link.lost(unplugged());
    // Halfway through the 100 ms before the first reopening.
    await vi.advanceTimersByTimeAsync(50);
    const slept = d.link.sleep(60_000).then(() => 'woken');
    expect(vi.getTimerCount()).toBe(2);
    await d.link.close();
    await expect(slept).resolves.toBe('woken');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(d.link.state).toBe('closed');
    expect(d.calls.filter((c) => c.startsWith('open'))).toEqual(['open 1']);
  });

  it('a close() right after a loss leaves no backoff timer behind', async () => {
    vi.useFakeTimers();
    const d = handDevice();
    await d.link.open(undefined, 'Hand.open()');
    d.link.lost(unplugged());
    await d.link.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(d.calls.filter((c) => c.startsWith('open'))).toEqual(['open 1']);
  });

  it('a close() that overtakes a reopening releases what the reopening then opened', async () => {
    vi.useFakeTimers();
    const d = handDevice();
    await d.link.open(undefined, 'Hand.open()');
    d.outcomes.push('hold');
    d.link.lost(unplugged());
    await vi.advanceTimersByTimeAsync(100);
    expect(d.calls.at(-1)).toMatch(/^open /);
    await d.link.close();
    d.letOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(d.calls.slice(-3)).toEqual(['closing', 'release', 'release']);
    expect(d.link.state).toBe('closed');
  });

  it('open({ signal }): an abort while opening closes again, releases, and rejects ABORTED with the reason', async () => {
    const d = handDevice();
    d.outcomes.push('hold');
    const controller = new AbortController();
    const opening = d.link.open({ signal: controller.signal }, 'Hand.open()');
    expect(d.link.state).toBe('opening');
    controller.abort(new Error('operator gave up'));
    expect(d.link.state).toBe('closed');
    d.letOpen();
    await expect(opening).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'Hand.open() aborted',
      cause: expect.objectContaining({ message: 'operator gave up' }),
    });
    expect(d.calls).toEqual(['open 1', 'closing', 'release', 'release']);
    await expect(d.link.open({ signal: AbortSignal.abort() }, 'Hand.open()')).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await expect(
      d.link.open({ signal: 'no' as unknown as AbortSignal }, 'Hand.open()'),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(d.calls).toHaveLength(4);
  });

  it('close({ signal }): closed at once; the signal stops only the wait for the release', async () => {
    let release!: () => void;
    const link = new DeviceLink({
      name: 'stuck',
      noun: 'device',
      reconnect: reconnectPolicy('stuck', {}),
      logger: silentLogger,
      onState: () => {},
      hooks: {
        open: async () => {},
        release: () => new Promise<void>((resolve) => (release = resolve)),
      },
    });
    await link.open(undefined, 'Stuck.open()');
    const controller = new AbortController();
    const closing = link.close({ signal: controller.signal }, 'Stuck.close()');
    expect(link.state).toBe('closed');
    controller.abort();
    await expect(closing).rejects.toMatchObject({ code: 'ABORTED', message: 'Stuck.close() aborted' });
    release();
  });

  it('fault() ends the period: a loop of the old one stops', async () => {
    const d = handDevice();
    await d.link.open(undefined, 'Hand.open()');
    const generation = d.link.generation;
    d.link.fault();
    expect(d.link.state).toBe('faulted');
    expect(d.link.isCurrent(generation)).toBe(false);
  });
});

describe('TransportListeners', () => {
  it('listens while open, hands a disconnect to lost, and detaches on release or a failed open', async () => {
    const memory = createMemoryLink();
    const chunks: string[] = [];
    const lost: string[] = [];
    const port = new TransportListeners(memory.host, {
      data: (chunk) => chunks.push(chunk.toString()),
      lost: (error) => lost.push(error.code),
    });
    await memory.device.open();
    await port.open();
    await memory.device.write(Buffer.from('one'));
    await vi.waitFor(() => expect(chunks).toEqual(['one']));
    memory.unplug();
    expect(lost).toEqual(['DEVICE_DISCONNECTED']);
    expect(memory.host.listenerCount('data')).toBe(1);
    await expect(port.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(memory.host.listenerCount('data')).toBe(0);
    expect(memory.host.listenerCount('close')).toBe(0);
    memory.plugIn();
    await port.open();
    await port.release();
    expect(memory.host.isOpen).toBe(false);
    expect(memory.host.listenerCount('data')).toBe(0);
    // A requested close is no loss.
    expect(lost).toEqual(['DEVICE_DISCONNECTED']);
  });

  it('a release while the transport opens leaves it detached; the link then releases it once open', async () => {
    const memory = createMemoryLink();
    const slow = slowToOpen(memory.host);
    const port = new TransportListeners(slow.transport, { data: () => {}, lost: () => {} });
    const link = new DeviceLink({
      name: 'slow',
      noun: 'device',
      reconnect: reconnectPolicy('slow', {}),
      logger: silentLogger,
      onState: () => {},
      hooks: { open: () => port.open(), release: () => port.release() },
    });
    const opening = link.open(undefined, 'Slow.open()');
    await link.close();
    slow.finish();
    await opening;
    expect(link.state).toBe('closed');
    expect(memory.host.isOpen).toBe(false);
    expect(memory.host.listenerCount('data')).toBe(0);
  });
});
