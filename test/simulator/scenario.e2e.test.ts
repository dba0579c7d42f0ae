import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateLane } from '../../cli/site-command.js';
import { isXinyiError } from '../../sdk/errors.js';
import {
  type PersonView,
  SIMULATION_DEVICES,
  SIMULATION_FAULTS,
  Simulation,
} from '../../simulator/panel/simulation.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import { loadScenario, parseScenario, playScenario, resolvePerson } from '../../simulator/scenario.js';

const root = resolve(import.meta.dirname, '../..');
const EVERY_FAULT = join(root, 'examples/scenarios/every-fault.json');
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

function configError(value: unknown): { code: string; message: string } {
  try {
    parseScenario(value, 'test.json');
  } catch (error) {
    if (isXinyiError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the scenario to be refused');
}

describe('the scenario format', () => {
  it('reads every kind of event, with defaults filled in', () => {
    const scenario = parseScenario({
      name: 'all kinds',
      clock: '2026-05-02',
      events: [
        { tap: 3, expect: { gate: 'opened' } },
        { at: 500, code: { pick: 'red-listed' }, via: 'camera' },
        { fault: 'platform-latency', on: true, ms: 300 },
        { unplug: 'gate' },
        { revoke: 4 },
        { clock: '2026-10-03T09:00:00+08:00' },
        { clock: null },
        { behaviour: 'tailgate' },
        { wait: 100 },
        { ready: true },
        { note: 'the end' },
      ],
    });
    expect(scenario.events.map((e) => e.kind)).toEqual([
      'tap',
      'code',
      'fault',
      'unplug',
      'revoke',
      'clock',
      'clock',
      'behaviour',
      'wait',
      'ready',
      'note',
    ]);
    expect(scenario.events[0]).toMatchObject({ tap: 3, expect: { decision: true, gate: 'opened' } });
    expect(scenario.events[1]).toMatchObject({
      at: 500,
      code: { pick: 'red-listed', nth: 0 },
      via: 'camera',
    });
    expect(scenario.events[3]).toMatchObject({ unplug: 'gate', forMs: 3_000 });
    expect(scenario.events[4]).toMatchObject({ revoke: 4, on: true });
  });

  it('names a bad field by its path', () => {
    expect(configError({ name: 'x', events: [{ tap: 1 }, { fault: 'meteor', on: true }] })).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('test.json: events.1.fault:'),
    });
    expect(configError({ name: 'x', events: [{ tap: 1, code: 2 }] }).message).toContain(
      'events.0: one action per event, not tap and code',
    );
    expect(configError({ name: 'x', events: [{ tap: 1, expect: { gate: 'open' } }] }).message).toContain(
      'events.0.expect.gate',
    );
    expect(configError({ name: 'x', events: [{ tap: 1, colour: 'red' }] }).message).toContain('events.0');
    expect(configError({ name: 'x', events: [{ clock: '03/10/2026' }] }).message).toContain('events.0.clock');
    expect(configError({ name: 'x', events: [{ jump: true }] }).message).toContain(
      'events.0: an event has one of',
    );
    expect(configError({ events: [{ tap: 1 }] }).message).toContain('test.json: name:');
    expect(configError({ name: 'x', events: [] }).message).toContain('events:');
  });

  it('lists every bad event at once, each by its path', () => {
    const error = configError({
      name: 'x',
      events: [{ tap: 1 }, { fault: 'meteor', on: true }, { jump: true }, { tap: 1, code: 2 }],
    });
    expect(error.message.split('\n')).toEqual([
      'test.json: 3 problems',
      expect.stringMatching(/^test\.json: events\.1\.fault: /),
      expect.stringMatching(/^test\.json: events\.2: an event has one of /),
      'test.json: events.3: one action per event, not tap and code',
    ]);
  });

  it('finds people by index or by kind', () => {
    const person = (index: number, tier: string, lists: string[], trustworthy: boolean, hasCode = true) =>
      ({ index, masked: '', tier, score: 0, lists, trustworthy, hasCode, revoked: false }) as PersonView;
    const people = [
      person(0, 'C', [], false),
      person(1, 'A', [], true, false),
      person(2, 'AA', ['red'], true),
      person(3, 'D', ['black:transport'], false, false),
      person(4, 'AAA', [], true),
    ];
    expect(resolvePerson(3, people)).toBe(3);
    expect(resolvePerson({ pick: 'trustworthy', nth: 0 }, people)).toBe(1);
    expect(resolvePerson({ pick: 'trustworthy', nth: 0 }, people, true)).toBe(2);
    expect(resolvePerson({ pick: 'black-listed', nth: 0 }, people)).toBe(3);
    expect(resolvePerson({ pick: 'low-tier', nth: 0 }, people)).toBe(0);
    expect(() => resolvePerson(9, people)).toThrow(/no person 9/);
    expect(() => resolvePerson({ pick: 'red-listed', nth: 1 }, people)).toThrow(/no red-listed person #1/);
  });

  it('the shipped every-fault scenario switches every fault on, unplugs every device, revokes a code and moves the clock', () => {
    const scenario = loadScenario(EVERY_FAULT);
    const kinds = scenario.events;
    const faultsOn = new Set(kinds.flatMap((e) => (e.kind === 'fault' && e.on ? [e.fault] : [])));
    expect([...faultsOn].sort()).toEqual([...SIMULATION_FAULTS].sort());
    const unplugged = new Set(kinds.flatMap((e) => (e.kind === 'unplug' ? [e.unplug] : [])));
    expect([...unplugged].sort()).toEqual([...SIMULATION_DEVICES].sort());
    expect(kinds.some((e) => e.kind === 'revoke' && e.on)).toBe(true);
    expect(kinds.some((e) => e.kind === 'clock' && e.clock !== null)).toBe(true);
    // Every fault is followed by an arrival with an expectation before it is switched off again.
    for (const [i, event] of kinds.entries()) {
      if (event.kind !== 'fault' || !event.on) continue;
      const off = kinds.findIndex((e, j) => j > i && e.kind === 'fault' && e.fault === event.fault && !e.on);
      const between = kinds.slice(i + 1, off === -1 ? undefined : off);
      expect(between.some((e) => (e.kind === 'tap' || e.kind === 'code') && e.expect !== undefined)).toBe(
        true,
      );
    }
  });
});

describe.skipIf(!socat)('the scenario player, headless', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-scenario-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('plays the every-fault scenario with every expectation met, each platform fault hit by requests', async () => {
    const scenario = loadScenario(EVERY_FAULT);
    const simulation = await Simulation.start({
      dir: tempDir(),
      lane: startGateLane,
      ...(scenario.seed ? { seed: scenario.seed } : {}),
      ...(scenario.people ? { people: scenario.people } : {}),
      gateTiming: { motionMs: 40, passDelayMs: 150 },
    });
    // The mock platform records the fault that shaped each request; a clock change rebuilds it.
    const shaped = new Set<string>();
    const collect = () => {
      for (const r of simulation.site.platform.requests) if (r.fault) shaped.add(r.fault);
    };
    try {
      await simulation.whenReady();
      const report = await playScenario(scenario, simulation, {
        onStep: () => collect(),
      });
      const failed = report.steps.filter((s) => s.failures.length > 0);
      expect(failed.map((s) => `${s.summary}: ${s.failures.join('; ')}`)).toEqual([]);
      expect(report.passed).toBe(true);
      expect(report.steps).toHaveLength(scenario.events.length);
      expect([...shaped]).toEqual(expect.arrayContaining(['latency', 'drop', 'status', 'clock-skew']));
      const decided = report.steps.filter((s) => s.decision);
      expect(new Set(decided.map((s) => s.decision!.source))).toEqual(
        new Set(['platform', 'credit-code', 'snapshot', 'none']),
      );
      expect(decided.some((s) => s.decision!.reasons.includes('CODE_REVOKED'))).toBe(true);
      expect(decided.some((s) => s.decision!.reasons.includes('HOLIDAY_EXCLUDED'))).toBe(true);
      expect(decided.some((s) => s.decision!.gate === 'gate-failed')).toBe(true);
    } finally {
      await simulation.close();
    }
  }, 90_000);

  it('`xinyi sim --scenario` prints each event and exits 1 when an expectation fails', async () => {
    const dir = tempDir();
    const file = join(dir, 'wrong.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'a wrong expectation',
        events: [
          { tap: { pick: 'trustworthy' }, expect: { gate: 'opened', source: 'platform' } },
          { tap: { pick: 'black-listed' }, expect: { gate: 'opened' } },
        ],
      }),
    );
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'cli/xinyi.ts',
        'sim',
        '--scenario',
        file,
        '--site',
        join(dir, 'site'),
        '--platform-port',
        '0',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(output).toMatch(/tap card of #\d+ \d\*{16}[\dX] \(A+\)\n\s+→ opened granted .*\[platform\]/);
    expect(output).toContain('✗ expected gate opened, got shut');
    expect(output).toContain('scenario "a wrong expectation" failed: 2/2 events, 1 failed expectation(s)');
    expect(code).toBe(1);
  }, 60_000);
});
