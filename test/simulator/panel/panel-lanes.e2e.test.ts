import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateLane } from '../../../cli/site-command.js';
import { type PanelServer, startPanelServer } from '../../../simulator/panel/panel-server.js';
import { type DecisionLogEntry, Simulation } from '../../../simulator/panel/simulation.js';
import { isSocatAvailable } from '../../../simulator/pty.js';

// The simulation and its panel with three lanes (three gate daemons in this process) sharing DIR/site.sqlite.
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

describe.skipIf(!socat)('a simulated site with three lanes, and its panel', () => {
  let dir: string;
  let simulation: Simulation;
  let panel: PanelServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-panel-lanes-'));
    simulation = await Simulation.start({
      lane: startGateLane,
      dir,
      lanes: 3,
      gateTiming: { motionMs: 40, passDelayMs: 150 },
    });
    await simulation.whenReady(90_000);
    panel = await startPanelServer({ simulation, port: 0 });
  }, 120_000);
  afterAll(async () => {
    await panel?.close();
    await simulation?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = async (action: string, body: unknown) => {
    const response = await fetch(`${panel.url}api/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.status;
  };
  // Awaited, not timed: on a loaded machine (the full suite beside other builds) a lane's reader poll
  // and decision may take tens of seconds; the bound only turns a lost tap into a failure.
  const decision = (after: number, lane: number) =>
    simulation.waitForDecision(after, 60_000, (e: DecisionLogEntry) => e.lane === lane);

  it('shows every lane: its way, its gate and the site store it shares', async () => {
    const state = (await (await fetch(`${panel.url}api/state`)).json()) as {
      gates: { lane: number }[];
      status: {
        lanes: {
          terminalId: string;
          direction: string;
          health: string;
          site: { kind: string; up: boolean };
        }[];
      };
    };
    expect(state.gates.map((g) => g.lane)).toEqual([0, 1, 2]);
    expect(state.status.lanes.map((l) => [l.terminalId, l.direction])).toEqual([
      ['gate-yunmenshan-01', 'entry'],
      ['gate-yunmenshan-02', 'entry'],
      ['gate-yunmenshan-03', 'exit'],
    ]);
    for (const lane of state.status.lanes) expect(lane.site).toMatchObject({ kind: 'sqlite', up: true });
  }, 30_000);

  it('a card used at lane 1 is refused at lane 2; the exit lane lets the person out', async () => {
    const person = simulation.people().find((p) => p.trustworthy && p.hasCode)!;
    let seq = simulation.lastDecisionSeq;
    expect(await post('tap', { person: person.index, lane: 0 })).toBe(200);
    const first = await decision(seq, 0);
    expect(first).toMatchObject({ gate: 'opened', outcome: 'granted' });
    await new Promise<void>((resolve) =>
      simulation.on('passage', function passed(p) {
        if (p.decisionId !== first?.decisionId || p.kind !== 'passed') return;
        simulation.off('passage', passed);
        resolve();
      }),
    );
    seq = simulation.lastDecisionSeq;
    expect(await post('tap', { person: person.index, lane: 1 })).toBe(200);
    const second = await decision(seq, 1);
    expect(second?.gate).toBe('shut');
    expect(second?.reasons).toContain('CAP_REACHED');
    seq = simulation.lastDecisionSeq;
    expect(await post('tap', { person: person.index, lane: 2 })).toBe(200);
    expect((await decision(seq, 2))?.gate).toBe('opened');
  }, 240_000);

  it('a screenshot of the last code shown at lane 1 is refused at lane 2', async () => {
    const person = simulation.people().filter((p) => p.trustworthy && p.hasCode)[1]!;
    let seq = simulation.lastDecisionSeq;
    expect(await post('code', { person: person.index, lane: 0 })).toBe(200);
    expect((await decision(seq, 0))?.gate).toBe('opened');
    seq = simulation.lastDecisionSeq;
    expect(await post('screenshot', { lane: 1 })).toBe(200);
    const replay = await decision(seq, 1);
    expect(replay).toMatchObject({ gate: 'shut', outcome: 'unavailable', reasons: ['CODE_REPLAYED'] });
    expect(await post('screenshot', { lane: 7 })).toBe(400);
  }, 150_000);
});
