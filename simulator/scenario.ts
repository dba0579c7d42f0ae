import { z } from 'zod';
import { XinyiError } from '../sdk/errors.js';
import { type ConfigProblem, configPathOf, configProblemsError, readJsonFile } from '../sdk/json-file.js';
import {
  type CodeDevice,
  type DecisionLogEntry,
  PASSAGE_BEHAVIOURS,
  type PersonView,
  parseClockOverride,
  SIMULATION_DEVICES,
  SIMULATION_FAULTS,
  type Simulation,
} from './panel/simulation.js';

/**
 * A scripted scenario (docs/simulator-panel.md): people arriving, faults switching on and off, the
 * clock moving to a holiday, each event optionally with what the lane must decide. The simulator plays
 * it headless or with the panel, so a vendor can keep a reproducible run of their integration.
 */

/** Who: an index into the population, or the `nth` (from 0) person of a kind. */
const personRef = z.union([
  z.number().int().min(0),
  z.strictObject({
    pick: z.enum(['trustworthy', 'red-listed', 'black-listed', 'key-attention', 'low-tier', 'any']),
    nth: z.number().int().min(0).default(0),
  }),
]);
export type ScenarioPerson = z.infer<typeof personRef>;

const expectation = z.strictObject({
  /** false: no decision at all within `withinMs` (an unplugged reader, say). @default true */
  decision: z.boolean().default(true),
  outcome: z.enum(['granted', 'denied', 'unavailable']).optional(),
  /** What the lane did: opened, shut, repeat, anti-passback, gate-failed, failed. */
  gate: z.enum(['opened', 'shut', 'repeat', 'anti-passback', 'gate-failed', 'failed']).optional(),
  source: z.enum(['credit-code', 'platform', 'snapshot', 'none']).optional(),
  tier: z.enum(['AAA', 'AA', 'A', 'B', 'C', 'D']).nullable().optional(),
  /** Reason codes that must all be among the decision's. */
  reasons: z.array(z.string().min(1)).optional(),
  /** How long to wait for the decision. @default 5000 (2000 when none is expected) */
  withinMs: z.number().int().positive().max(120_000).optional(),
});
export type ScenarioExpectation = z.infer<typeof expectation>;

const common = {
  /** Milliseconds from the start of the scenario: the event waits until then (never runs early). */
  at: z.number().int().min(0).optional(),
  /** Printed and shown on the panel when the event runs. */
  note: z.string().max(200).optional(),
};

const EVENT_SCHEMAS = {
  tap: z.strictObject({ ...common, tap: personRef, expect: expectation.optional() }),
  code: z.strictObject({
    ...common,
    code: personRef,
    via: z.enum(['scanner', 'camera']).default('scanner'),
    expect: expectation.optional(),
  }),
  fault: z.strictObject({
    ...common,
    fault: z.enum(SIMULATION_FAULTS),
    on: z.boolean(),
    /** Latency or clock skew, in ms. @default 1000 (latency), 600000 (skew) */
    ms: z.number().int().min(-3_600_000).max(3_600_000).optional(),
  }),
  unplug: z.strictObject({
    ...common,
    unplug: z.enum(SIMULATION_DEVICES as [string, ...string[]]),
    forMs: z.number().int().positive().max(600_000).default(3_000),
  }),
  revoke: z.strictObject({ ...common, revoke: personRef, on: z.boolean().default(true) }),
  clock: z.strictObject({
    ...common,
    clock: z
      .string()
      .nullable()
      .refine((v) => v === null || isClock(v), 'YYYY-MM-DD, an ISO date-time with an offset, or null'),
  }),
  behaviour: z.strictObject({ ...common, behaviour: z.enum(PASSAGE_BEHAVIOURS as [string, ...string[]]) }),
  wait: z.strictObject({ ...common, wait: z.number().int().min(0).max(600_000) }),
  /** Waits until every device of the lane is ready (after an unplug). */
  ready: z.strictObject({
    ...common,
    ready: z.literal(true),
    timeoutMs: z.number().int().positive().max(120_000).default(20_000),
  }),
  note: z.strictObject({ at: common.at, note: z.string().max(200) }),
} as const;

type EventKind = keyof typeof EVENT_SCHEMAS;
export type ScenarioEvent = { [K in EventKind]: z.infer<(typeof EVENT_SCHEMAS)[K]> & { kind: K } }[EventKind];

const ACTION_KEYS: readonly EventKind[] = [
  'tap',
  'code',
  'fault',
  'unplug',
  'revoke',
  'clock',
  'behaviour',
  'wait',
  'ready',
];

const scenarioHeader = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().max(2_000).optional(),
  /** The population's seed and size (the site's defaults otherwise). */
  seed: z.string().min(1).optional(),
  people: z.number().int().min(1).max(10_000).optional(),
  /** Where the clock starts (YYYY-MM-DD or an ISO date-time). @default now */
  clock: z.string().refine(isClock, 'YYYY-MM-DD or an ISO date-time with an offset').optional(),
  events: z.array(z.unknown()).min(1),
});

export interface Scenario {
  name: string;
  description?: string;
  seed?: string;
  people?: number;
  clock?: string;
  events: ScenarioEvent[];
}

function isClock(value: string): boolean {
  try {
    parseClockOverride(value);
    return true;
  } catch {
    return false;
  }
}

/** Validates a parsed scenario; `CONFIG_INVALID` lists every bad field by its path (`events.3.fault`). */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const header = scenarioHeader.safeParse(value);
  if (!header.success) {
    throw configProblemsError(
      source,
      header.error.issues.map((issue) => ({ path: configPathOf(issue.path), message: issue.message })),
    );
  }
  const problems: ConfigProblem[] = [];
  const problem = (path: PropertyKey[], message: string) => {
    problems.push({ path: configPathOf(path), message });
  };
  const events = header.data.events.flatMap((raw, index): ScenarioEvent[] => {
    const path = ['events', index];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problem(path, 'an event is an object');
      return [];
    }
    const keys = ACTION_KEYS.filter((k) => k in raw);
    if (keys.length > 1) {
      problem(path, `one action per event, not ${keys.join(' and ')}`);
      return [];
    }
    const kind: EventKind | undefined = keys[0] ?? ('note' in raw ? 'note' : undefined);
    if (kind === undefined) {
      problem(path, `an event has one of ${[...ACTION_KEYS, 'note'].join(', ')}`);
      return [];
    }
    const parsed = EVENT_SCHEMAS[kind].safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problem([...path, ...issue.path], issue.message);
      return [];
    }
    return [{ ...parsed.data, kind } as ScenarioEvent];
  });
  if (problems.length > 0) throw configProblemsError(source, problems);
  const { events: _raw, ...rest } = header.data;
  return { ...rest, events };
}

/** Reads and validates a scenario file (JSON). */
export function loadScenario(file: string): Scenario {
  const parsed = readJsonFile(file, 'scenario file');
  return parseScenario(parsed, file);
}

/** What happened at one event. */
export interface ScenarioStep {
  index: number;
  /** A one-line description, safe to print (masked numbers only). */
  summary: string;
  /** Milliseconds since the scenario started, when the event ran. */
  atMs: number;
  /** The decision the event produced, when it expected or waited for one. */
  decision?: DecisionLogEntry;
  /** Unmet expectations (empty: all met, or none given). */
  failures: string[];
  /** Expectations that could not be checked (no in-process lane). */
  unchecked?: boolean;
}

export interface ScenarioReport {
  name: string;
  passed: boolean;
  steps: ScenarioStep[];
  failures: number;
  durationMs: number;
}

/** Progress as the panel shows it. */
export interface ScenarioProgress {
  name: string;
  state: 'running' | 'passed' | 'failed' | 'stopped';
  index: number;
  total: number;
  last?: string;
  failures: number;
}

export interface PlayScenarioOptions {
  /** Called after each event (the CLI prints it; the panel shows it). */
  onStep?: (step: ScenarioStep, progress: ScenarioProgress) => void;
  /** Stops the scenario between events. */
  signal?: AbortSignal;
}

function matches(kind: string, person: PersonView): boolean {
  const lists = person.lists.map((l) => l.split(':')[0]);
  switch (kind) {
    case 'trustworthy':
      return person.trustworthy;
    case 'red-listed':
      return lists.includes('red');
    case 'black-listed':
      return lists.includes('black');
    case 'key-attention':
      return lists.includes('key-attention');
    case 'low-tier':
      return lists.length === 0 && !person.trustworthy;
    default:
      return true;
  }
}

/** The population index a reference names; `INVALID_ARGUMENT` when the population has no such person. */
export function resolvePerson(ref: ScenarioPerson, people: readonly PersonView[], needsCode = false): number {
  if (typeof ref === 'number') {
    if (!people[ref])
      throw new XinyiError('INVALID_ARGUMENT', `no person ${ref}; the population has ${people.length}`);
    return ref;
  }
  const candidates = people.filter((p) => matches(ref.pick, p) && (!needsCode || p.hasCode));
  const person = candidates[ref.nth];
  if (!person) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      `no ${ref.pick} person #${ref.nth}${needsCode ? ' with a credit code' : ''}; the population has ${candidates.length}`,
    );
  }
  return person.index;
}

function check(entry: DecisionLogEntry | undefined, want: ScenarioExpectation): string[] {
  if (!want.decision)
    return entry ? [`expected no decision, got ${entry.gate} (${entry.outcome ?? '—'})`] : [];
  if (!entry) return ['expected a decision, none came'];
  const failures: string[] = [];
  const compare = (name: string, expected: unknown, actual: unknown) => {
    if (expected !== undefined && expected !== actual) {
      failures.push(`expected ${name} ${String(expected)}, got ${String(actual ?? '—')}`);
    }
  };
  compare('outcome', want.outcome, entry.outcome);
  compare('gate', want.gate, entry.gate);
  compare('source', want.source, entry.source);
  if (want.tier !== undefined) compare('tier', want.tier ?? 'none', entry.tier ?? 'none');
  for (const reason of want.reasons ?? []) {
    if (!entry.reasons.includes(reason)) {
      failures.push(`expected reason ${reason}, got ${entry.reasons.join(' ') || 'none'}`);
    }
  }
  return failures;
}

function describeDecision(entry: DecisionLogEntry): string {
  const what = entry.outcome === 'granted' ? entry.benefits.join('、') : entry.reasons.join(' ');
  const latency = entry.latencyMs === undefined ? '' : ` ${entry.latencyMs.toFixed(0)} ms`;
  return `${entry.gate} ${entry.outcome ?? entry.errorCode ?? ''} ${entry.masked ?? ''} ${entry.tier ?? '—'} [${entry.source ?? '—'}]${latency} ${what}`
    .replace(/\s+/g, ' ')
    .trim();
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Plays a scenario against a running simulation, event after event. Actions with an `expect` wait for
 * the lane's next decision and compare it; the report says which expectations failed. An event that
 * cannot be carried out (no such person, a code for someone without one) rejects with its XinyiError.
 */
export async function playScenario(
  scenario: Scenario,
  simulation: Simulation,
  options: PlayScenarioOptions = {},
): Promise<ScenarioReport> {
  const started = Date.now();
  const steps: ScenarioStep[] = [];
  let failures = 0;
  const total = scenario.events.length;
  const progress = (state: ScenarioProgress['state'], index: number, last?: string): ScenarioProgress => ({
    name: scenario.name,
    state,
    index,
    total,
    ...(last === undefined ? {} : { last }),
    failures,
  });

  for (const [index, event] of scenario.events.entries()) {
    if (options.signal?.aborted) break;
    if (event.at !== undefined) await sleep(started + event.at - Date.now(), options.signal);
    if (options.signal?.aborted) break;
    const step: ScenarioStep = { index, summary: '', atMs: Date.now() - started, failures: [] };
    const people = simulation.people();
    const before = simulation.lastDecisionSeq;
    let expected: ScenarioExpectation | undefined;
    switch (event.kind) {
      case 'tap': {
        const person = resolvePerson(event.tap, people);
        step.summary = `tap card of #${person} ${people[person]!.masked} (${people[person]!.tier})`;
        expected = event.expect;
        await simulation.tap(person);
        break;
      }
      case 'code': {
        const person = resolvePerson(event.code, people, true);
        step.summary = `show code of #${person} (${people[person]!.tier}) to the ${event.via}`;
        expected = event.expect;
        await simulation.showCode(person, event.via as CodeDevice);
        break;
      }
      case 'fault':
        step.summary = `fault ${event.fault} ${event.on ? 'on' : 'off'}${event.on && event.ms !== undefined ? ` (${event.ms} ms)` : ''}`;
        simulation.setFault(event.fault, event.on, event.ms);
        break;
      case 'unplug':
        step.summary = `unplug ${event.unplug} for ${event.forMs} ms`;
        await simulation.unplug(event.unplug as (typeof SIMULATION_DEVICES)[number], event.forMs);
        break;
      case 'revoke': {
        const person = resolvePerson(event.revoke, people, true);
        step.summary = `${event.on ? 'revoke' : 'reinstate'} the code of #${person}`;
        await simulation.revoke(person, event.on);
        break;
      }
      case 'clock':
        step.summary = event.clock === null ? 'clock back to real time' : `clock set to ${event.clock}`;
        await simulation.setClock(event.clock);
        await simulation.whenReady();
        break;
      case 'behaviour':
        step.summary = `people at the gate: ${event.behaviour}`;
        simulation.setBehaviour(event.behaviour as (typeof PASSAGE_BEHAVIOURS)[number]);
        break;
      case 'wait':
        step.summary = `wait ${event.wait} ms`;
        await sleep(event.wait, options.signal);
        break;
      case 'ready':
        step.summary = 'wait until every device is ready';
        await simulation.whenReady(event.timeoutMs);
        break;
      case 'note':
        step.summary = event.note;
        break;
    }
    if (event.note !== undefined && event.kind !== 'note') step.summary += ` — ${event.note}`;
    if (expected) {
      if (simulation.hasLane) {
        const want = expected;
        const withinMs = want.decision ? (want.withinMs ?? 5_000) : (want.withinMs ?? 2_000);
        // The first decision that meets the expectation: line noise on a scanner is read as a junk scan
        // (refused) before the real one, and both belong to the event.
        let first: DecisionLogEntry | undefined;
        const entry = await simulation.waitForDecision(before, withinMs, (e) => {
          first ??= e;
          return !want.decision || check(e, want).length === 0;
        });
        step.failures = entry ? check(entry, want) : check(first, want);
        const shown = entry ?? first;
        if (shown) step.decision = shown;
        failures += step.failures.length > 0 ? 1 : 0;
      } else {
        step.unchecked = true;
      }
    }
    steps.push(step);
    const last = step.decision ? `${step.summary} → ${describeDecision(step.decision)}` : step.summary;
    options.onStep?.(step, progress('running', index + 1, last));
  }
  const stopped = options.signal?.aborted === true;
  const report: ScenarioReport = {
    name: scenario.name,
    passed: !stopped && failures === 0,
    steps,
    failures,
    durationMs: Date.now() - started,
  };
  return report;
}

/** One printable line for a step. */
export function formatScenarioStep(step: ScenarioStep): string {
  const seconds = (step.atMs / 1000).toFixed(1).padStart(6);
  const decision = step.decision ? `\n          → ${describeDecision(step.decision)}` : '';
  const verdict =
    step.failures.length > 0
      ? `\n          ✗ ${step.failures.join('; ')}`
      : step.unchecked
        ? '\n          (expectation not checked: no in-process lane)'
        : '';
  return `${seconds}s  ${step.summary}${decision}${verdict}`;
}
