import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import type { GateAlarmEvent, PassageEvent } from '../../../sdk/gate/gate.js';
import { InProcessGate } from '../../../simulator/devices/in-process-gate.js';

const TIMING = { motionMs: 100, passDelayMs: 200, openTimeoutMs: 1000, alarmMs: 500 };
const gates: InProcessGate[] = [];

function gate() {
  const g = new InProcessGate({ ...TIMING, name: 'lane-1' });
  gates.push(g);
  const passages: PassageEvent[] = [];
  const alarms: GateAlarmEvent[] = [];
  const states: [string, string | undefined][] = [];
  g.onPassage((p) => void passages.push(p));
  g.onAlarm((a) => void alarms.push(a));
  g.onState((state, reason) => void states.push([state, reason]));
  return { g, passages, alarms, states };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-11-26T02:00:00Z') });
});

afterEach(() => {
  for (const g of gates.splice(0)) g.core.dispose();
  vi.useRealTimers();
});

describe('InProcessGate', () => {
  it('opens, reports the passage with its count, and closes again', async () => {
    const { g, passages } = gate();
    await g.connect();
    await g.open('entry');
    expect(await g.status()).toMatchObject({ state: 'opening', direction: 'entry', entryCount: 0 });
    await vi.advanceTimersByTimeAsync(TIMING.motionMs + TIMING.passDelayMs);
    expect(passages).toEqual([
      { kind: 'passed', direction: 'entry', count: 1, at: new Date(Date.now()).toISOString() },
    ]);
    await vi.advanceTimersByTimeAsync(TIMING.motionMs);
    expect(await g.status()).toEqual({
      state: 'closed',
      held: false,
      entryCount: 1,
      exitCount: 0,
      alarms: [],
    });
  });

  it('lets count persons through one opening', async () => {
    const { g, passages } = gate();
    await g.connect();
    await g.open('exit', { count: 2 });
    await vi.advanceTimersByTimeAsync(TIMING.motionMs + 2 * TIMING.passDelayMs + TIMING.motionMs);
    expect(passages.map((p) => [p.kind, p.direction])).toEqual([
      ['passed', 'exit'],
      ['passed', 'exit'],
    ]);
    expect(await g.status()).toMatchObject({ state: 'closed', entryCount: 0, exitCount: 2 });
  });

  it('reports a tailgate as one passage of two, with the tailgating alarm', async () => {
    const { g, passages, alarms } = gate();
    await g.connect();
    g.core.queueBehaviour('tailgate');
    await g.open('entry');
    await vi.advanceTimersByTimeAsync(TIMING.motionMs + TIMING.passDelayMs);
    expect(passages).toEqual([expect.objectContaining({ kind: 'passed', direction: 'entry', count: 2 })]);
    expect(alarms).toEqual([expect.objectContaining({ alarm: 'tailgating', active: true })]);
    // Tailgating is reported in the alarms, but does not put the gate itself in the alarm state.
    expect(await g.status()).toMatchObject({ alarms: ['tailgating'], entryCount: 2 });
    expect((await g.status()).state).not.toBe('alarm');
    await vi.advanceTimersByTimeAsync(TIMING.alarmMs);
    expect(alarms.at(-1)).toMatchObject({ alarm: 'tailgating', active: false });
  });

  it('reports nobody passing and a push-back', async () => {
    const { g, passages } = gate();
    await g.connect();
    g.core.queueBehaviour('no-pass', 'push-back');
    await g.open('entry');
    await vi.advanceTimersByTimeAsync(TIMING.motionMs + TIMING.openTimeoutMs + TIMING.motionMs);
    await g.open('entry');
    await vi.advanceTimersByTimeAsync(TIMING.motionMs + TIMING.passDelayMs + TIMING.motionMs);
    expect(passages.map((p) => p.kind)).toEqual(['not-passed', 'pushed-back']);
    expect(passages.every((p) => !('count' in p))).toBe(true);
    expect((await g.status()).entryCount).toBe(0);
  });

  it('status() reports alarm and self-test states', async () => {
    const { g } = gate();
    await g.connect();
    g.core.raiseAlarm('intrusion');
    expect(await g.status()).toMatchObject({ state: 'alarm', alarms: ['intrusion'] });
    g.core.clearAlarm('intrusion');
    g.core.powerUp(300);
    expect((await g.status()).state).toBe('self-test');
    await vi.advanceTimersByTimeAsync(300);
    expect((await g.status()).state).toBe('closed');
  });

  it('refuses commands with CLOSED until connected, after disconnect and while the link is down', async () => {
    const { g, states } = gate();
    expect(g.deviceState).toBe('closed');
    for (const command of [() => g.open('entry'), () => g.close(), () => g.status()]) {
      const error = await rejection(command());
      expect(isXinyiError(error, 'CLOSED'), String(error)).toBe(true);
    }
    expect(g.core.stats.opens).toBe(0);

    await g.connect();
    await g.connect();
    g.setLinkUp(false);
    expect(isXinyiError(await rejection(g.open('entry')), 'CLOSED')).toBe(true);
    g.setLinkUp(true);
    await g.open('entry');
    await g.disconnect();
    expect(isXinyiError(await rejection(g.status()), 'CLOSED')).toBe(true);
    expect(states).toEqual([
      ['ready', undefined],
      ['reconnecting', 'DEVICE_DISCONNECTED'],
      ['ready', undefined],
      ['closed', undefined],
    ]);
  });

  it('stops reporting to a listener that unsubscribed', async () => {
    const g = new InProcessGate(TIMING);
    gates.push(g);
    const passages: PassageEvent[] = [];
    const states: string[] = [];
    const offPassage = g.onPassage((p) => void passages.push(p));
    const offState = g.onState((s) => void states.push(s));
    await g.connect();
    offPassage();
    offState();
    await g.open('entry');
    await vi.advanceTimersByTimeAsync(TIMING.motionMs + TIMING.passDelayMs);
    await g.disconnect();
    expect(passages).toEqual([]);
    expect(states).toEqual(['ready']);
    expect(g.name).toBe('in-process-gate');
  });
});
