import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../../sdk/diagnostics/metrics.js';
import { createTerminalMetrics } from '../../../sdk/diagnostics/terminal-metrics.js';
import type { Credential } from '../../../sdk/domain/credential.js';
import { isXinyiError, XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { JournalStore } from '../../../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import type { CredentialSource } from '../../../sdk/terminal/credential-source.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import { generatePopulation } from '../../../simulator/population.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses `name{a="x",b="y"} value`, undoing the label escapes (`\\`, `\"`, `\n`). */
function parseSample(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (name === undefined) throw new Error(`no metric name in ${JSON.stringify(line)}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
      if (key === undefined || line.slice(i + key.length, i + key.length + 2) !== '="') {
        throw new Error(`bad label at ${i} in ${JSON.stringify(line)}`);
      }
      i += key.length + 2;
      let value = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i++];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new Error(`bad escape \\${e} in ${JSON.stringify(line)}`);
        } else value += c;
      }
      labels[key] = value;
      if (line[i] === ',') i++;
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`no space before the value in ${JSON.stringify(line)}`);
  const text = line.slice(i + 1);
  const value =
    text === '+Inf' ? Number.POSITIVE_INFINITY : text === '-Inf' ? Number.NEGATIVE_INFINITY : Number(text);
  if (text === '' || (Number.isNaN(value) && text !== 'NaN'))
    throw new Error(`bad value in ${JSON.stringify(line)}`);
  return { name, labels, value };
}

interface Exposition {
  lines: string[];
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
  /** Values of `name` whose labels include `labels`. */
  values(name: string, labels?: Record<string, string>): number[];
  /** The one value of `name` with exactly these labels; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

function parse(text: string): Exposition {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of lines) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      // A family's HELP and TYPE come before its samples.
      expect(samples.some((s) => s.name === name || s.name.startsWith(`${name}_`))).toBe(false);
      (kind === 'HELP' ? help : type).set(name, rest);
    } else {
      expect(line.startsWith('#')).toBe(false);
      samples.push(parseSample(line));
    }
  }
  const matches = (s: Sample, name: string, labels: Record<string, string>) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    lines,
    help,
    type,
    samples,
    values: (name, labels = {}) => samples.filter((s) => matches(s, name, labels)).map((s) => s.value),
    value: (name, labels = {}) => {
      const found = samples.filter(
        (s) => matches(s, name, labels) && Object.keys(s.labels).length === Object.keys(labels).length,
      );
      expect(found.length).toBeLessThanOrEqual(1);
      return found[0]?.value;
    },
  };
}

function expectInvalidArgument(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isXinyiError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
}

describe('MetricsRegistry: exposition format', () => {
  it('writes HELP and TYPE lines before each family, and ends with a newline', () => {
    const r = new MetricsRegistry();
    r.counter('app_requests_total', 'Requests served.').inc({ route: 'a' });
    r.gauge('app_temperature_celsius', 'Board temperature.').set({}, 41.5);
    r.histogram('app_latency_seconds', 'Latency.', [0.1]).observe(0.05);
    const e = parse(r.render());
    expect(e.type.get('app_requests_total')).toBe('counter');
    expect(e.type.get('app_temperature_celsius')).toBe('gauge');
    expect(e.type.get('app_latency_seconds')).toBe('histogram');
    expect(e.help.get('app_requests_total')).toBe('Requests served.');
    expect(e.value('app_requests_total', { route: 'a' })).toBe(1);
    expect(e.value('app_temperature_celsius')).toBe(41.5);
    // Families are written in registration order.
    expect(e.lines.filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2])).toEqual([
      'app_requests_total',
      'app_temperature_celsius',
      'app_latency_seconds',
    ]);
  });

  it('escapes backslashes and newlines in HELP text', () => {
    const r = new MetricsRegistry();
    r.counter('x_total', 'a path C:\\tmp\nand a second line');
    const text = r.render();
    expect(text.split('\n')[0]).toBe('# HELP x_total a path C:\\\\tmp\\nand a second line');
  });

  it('escapes backslash, double quote and newline in label values, so each sample stays on one line', () => {
    const r = new MetricsRegistry();
    const c = r.counter('weird_total', 'Labels with special characters.');
    const nasty = 'a\\b"c\nd';
    c.inc({ device: nasty });
    c.inc({ device: nasty }, 2);
    const text = r.render();
    const sampleLines = text.split('\n').filter((l) => l.startsWith('weird_total'));
    expect(sampleLines).toEqual(['weird_total{device="a\\\\b\\"c\\nd"} 3']);
    expect(parse(text).value('weird_total', { device: nasty })).toBe(3);
  });

  it('treats the same labels in another order as the same series', () => {
    const r = new MetricsRegistry();
    const c = r.counter('pairs_total', 'Pairs.');
    c.inc({ a: '1', b: '2' });
    c.inc({ b: '2', a: '1' });
    c.inc({ a: '2', b: '1' });
    expect(c.get({ b: '2', a: '1' })).toBe(2);
    const e = parse(r.render());
    expect(e.values('pairs_total')).toHaveLength(2);
    expect(e.value('pairs_total', { a: '1', b: '2' })).toBe(2);
  });

  it('histogram buckets are cumulative, sorted, end with +Inf, and come with _sum and _count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram('wait_seconds', 'Wait.', [1, 0.1, 0.5]);
    for (const v of [0.05, 0.1, 0.3, 0.5, 0.7, 5]) h.observe(v, { lane: 'entry' });
    h.observe(0.2, { lane: 'exit' });
    const e = parse(r.render());
    const entry = e.samples.filter((s) => s.name === 'wait_seconds_bucket' && s.labels.lane === 'entry');
    expect(entry.map((s) => s.labels.le)).toEqual(['0.1', '0.5', '1', '+Inf']);
    // A value equal to a bound falls in that bucket (le is "less than or equal").
    expect(entry.map((s) => s.value)).toEqual([2, 4, 5, 6]);
    expect(e.value('wait_seconds_count', { lane: 'entry' })).toBe(6);
    expect(e.value('wait_seconds_sum', { lane: 'entry' })).toBeCloseTo(6.65, 9);
    expect(e.value('wait_seconds_bucket', { lane: 'exit', le: '0.1' })).toBe(0);
    expect(e.value('wait_seconds_bucket', { lane: 'exit', le: '0.5' })).toBe(1);
    expect(e.value('wait_seconds_bucket', { lane: 'exit', le: '+Inf' })).toBe(1);
    expect(e.value('wait_seconds_count', { lane: 'exit' })).toBe(1);
  });

  it('a gauge with a collect callback is read afresh at every render', () => {
    const r = new MetricsRegistry();
    let queue: Record<string, number> = { a: 3, b: 1 };
    let calls = 0;
    r.gauge('queue_length', 'Queue length.', (g) => {
      calls++;
      g.reset();
      for (const [name, n] of Object.entries(queue)) g.set({ queue: name }, n);
    });
    let e = parse(r.render());
    expect(e.value('queue_length', { queue: 'a' })).toBe(3);
    expect(e.value('queue_length', { queue: 'b' })).toBe(1);
    queue = { a: 0 };
    e = parse(r.render());
    expect(e.value('queue_length', { queue: 'a' })).toBe(0);
    expect(e.value('queue_length', { queue: 'b' })).toBeUndefined();
    expect(calls).toBe(2);
  });

  it('renders special values as Prometheus spells them', () => {
    const r = new MetricsRegistry();
    const g = r.gauge('special', 'Special values.');
    g.set({ v: 'nan' }, Number.NaN);
    g.set({ v: 'inf' }, Number.POSITIVE_INFINITY);
    g.set({ v: 'minus-inf' }, Number.NEGATIVE_INFINITY);
    const lines = r.render().split('\n');
    expect(lines).toContain('special{v="nan"} NaN');
    expect(lines).toContain('special{v="inf"} +Inf');
    expect(lines).toContain('special{v="minus-inf"} -Inf');
  });
});

describe('MetricsRegistry: invalid input', () => {
  it.each(['bad-name', '1starts_with_digit', '', 'has space', 'ünicode'])(
    'refuses the metric name %j',
    (name) => {
      const r = new MetricsRegistry();
      expectInvalidArgument(() => r.counter(name, 'x'));
      expectInvalidArgument(() => r.gauge(name, 'x'));
      expectInvalidArgument(() => r.histogram(name, 'x', [1]));
    },
  );

  it('refuses a second metric with the same name', () => {
    const r = new MetricsRegistry();
    r.counter('dup_total', 'x');
    expectInvalidArgument(() => r.gauge('dup_total', 'y'));
  });

  it.each(['bad-label', '9lives', 'with space', ''])('refuses the label name %j', (label) => {
    const r = new MetricsRegistry();
    expectInvalidArgument(() => r.counter('c_total', 'x').inc({ [label]: 'v' }));
    expectInvalidArgument(() => r.gauge('g', 'x').set({ [label]: 'v' }, 1));
    expectInvalidArgument(() => r.histogram('h', 'x', [1]).observe(1, { [label]: 'v' }));
    expect(
      r
        .render()
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#')),
    ).toEqual([]);
  });

  it('reserves le for histogram buckets', () => {
    const r = new MetricsRegistry();
    expectInvalidArgument(() => r.histogram('h', 'x', [1]).observe(1, { le: '2' }));
  });

  it('refuses a negative or NaN counter increment, and bad histogram buckets', () => {
    const r = new MetricsRegistry();
    const c = r.counter('c_total', 'x');
    expectInvalidArgument(() => c.inc({}, -1));
    expectInvalidArgument(() => c.inc({}, Number.NaN));
    expect(c.get()).toBe(0);
    expectInvalidArgument(() => r.histogram('h1', 'x', []));
    expectInvalidArgument(() => r.histogram('h2', 'x', [1, 1]));
    expectInvalidArgument(() => r.histogram('h3', 'x', [1, Number.NaN]));
    expectInvalidArgument(() => r.histogram('h4', 'x', [1, Number.POSITIVE_INFINITY]));
  });
});

const KEY = 'metrics-test-pseudonym-key-0123456789';
const pseudonymizer = createPseudonymizer(KEY);
const people = generatePopulation(3, 'metrics-test');
const [alice, bob, carol] = people as [
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
];
const card = (idNumber: string): Credential => ({ kind: 'id-card', idNumber });

function fakeDevice(name: string) {
  const stateListeners = new Set<(state: string, reason?: string) => void>();
  const device: CredentialSource & { state(state: string, reason?: string): void } = {
    name,
    onCredential: () => () => {},
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    state: (state, reason) => {
      for (const l of stateListeners) l(state, reason);
    },
  };
  return device;
}

function rig(options: { journal?: JournalStore } = {}) {
  const clock = { at: Date.parse('2026-11-26T10:00:00+08:00'), now: () => clock.at };
  const journal = options.journal ?? createMemoryJournal({ clock });
  const platform = createInMemoryCreditProvider({
    name: 'platform',
    clock,
    standings: [
      [pseudonymizer.pseudonymize(alice.idNumber), { tier: 'AA', lists: [] }],
      [pseudonymizer.pseudonymize(bob.idNumber), { tier: 'A', lists: [{ kind: 'black' }] }],
    ],
  });
  const snapshot = createInMemoryCreditProvider({ name: 'snapshot', source: 'snapshot', clock });
  const terminal = createTerminal({
    terminalId: 'metrics-terminal',
    scene: 'library-kiosk',
    pseudonymizer,
    clock,
    journal,
    credit: [platform, snapshot],
  });
  const metrics = createTerminalMetrics({ terminal, journal, clock });
  return { clock, journal, platform, terminal, metrics, scrape: () => parse(metrics.render()) };
}

describe('createTerminalMetrics', () => {
  it('counts decisions by scene, outcome and source, and observes their latency', async () => {
    const { terminal, platform, scrape } = rig();
    await terminal.present(card(alice.idNumber));
    await terminal.present(card(alice.idNumber));
    await terminal.present(card(bob.idNumber));
    await terminal.present(card(carol.idNumber)); // known to no source
    platform.setFailing(true);
    await terminal.present(card(alice.idNumber));

    const e = scrape();
    expect(e.type.get('xinyi_decisions_total')).toBe('counter');
    const labels = (outcome: string, source: string) => ({ scene: 'library-kiosk', outcome, source });
    expect(e.value('xinyi_decisions_total', labels('granted', 'platform'))).toBe(2);
    expect(e.value('xinyi_decisions_total', labels('denied', 'platform'))).toBe(1);
    expect(e.value('xinyi_decisions_total', labels('unavailable', 'none'))).toBe(2);
    expect(e.values('xinyi_decisions_total').reduce((a, b) => a + b, 0)).toBe(5);

    expect(e.type.get('xinyi_decision_latency_seconds')).toBe('histogram');
    expect(e.value('xinyi_decision_latency_seconds_count', { scene: 'library-kiosk' })).toBe(5);
    expect(e.value('xinyi_decision_latency_seconds_bucket', { scene: 'library-kiosk', le: '+Inf' })).toBe(5);
    const buckets = e.values('xinyi_decision_latency_seconds_bucket', { scene: 'library-kiosk' });
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(e.value('xinyi_decision_latency_seconds_sum', { scene: 'library-kiosk' })).toBeGreaterThanOrEqual(
      0,
    );

    expect(e.value('xinyi_errors_total', { code: 'CREDIT_UNAVAILABLE' })).toBe(1);
  });

  it('reports credit sources up from the start, down when offline and up again when online', async () => {
    const { terminal, platform, scrape } = rig();
    let e = scrape();
    expect(e.value('xinyi_credit_source_up', { source: 'platform' })).toBe(1);
    expect(e.value('xinyi_credit_source_up', { source: 'snapshot' })).toBe(1);

    platform.setFailing(true);
    await terminal.present(card(alice.idNumber));
    e = scrape();
    expect(e.value('xinyi_credit_source_up', { source: 'platform' })).toBe(0);
    expect(e.value('xinyi_credit_source_up', { source: 'snapshot' })).toBe(1);

    platform.setFailing(false);
    await terminal.present(card(alice.idNumber));
    expect(scrape().value('xinyi_credit_source_up', { source: 'platform' })).toBe(1);
  });

  it('reports devices up or down, and their current state only, from device events', () => {
    const { terminal, scrape } = rig();
    const reader = fakeDevice('id-card-reader');
    const scanner = fakeDevice('qr-scanner');
    terminal.attach(reader);
    terminal.attach(scanner);
    reader.state('ready');
    scanner.state('opening');
    let e = scrape();
    expect(e.value('xinyi_device_up', { device: 'id-card-reader' })).toBe(1);
    expect(e.value('xinyi_device_up', { device: 'qr-scanner' })).toBe(0);
    expect(e.value('xinyi_device_state', { device: 'id-card-reader', state: 'ready' })).toBe(1);

    reader.state('reconnecting', 'DEVICE_DISCONNECTED');
    scanner.state('ready');
    e = scrape();
    expect(e.value('xinyi_device_up', { device: 'id-card-reader' })).toBe(0);
    expect(e.value('xinyi_device_up', { device: 'qr-scanner' })).toBe(1);
    expect(e.values('xinyi_device_state', { device: 'id-card-reader' })).toEqual([1]);
    expect(e.value('xinyi_device_state', { device: 'id-card-reader', state: 'reconnecting' })).toBe(1);
    expect(e.value('xinyi_device_state', { device: 'id-card-reader', state: 'ready' })).toBeUndefined();
  });

  it('includes a device attached before the metrics were set up', () => {
    const clock = { now: () => Date.parse('2026-11-26T10:00:00+08:00') };
    const terminal = createTerminal({ terminalId: 't', scene: 'library-kiosk', pseudonymizer, clock });
    const reader = fakeDevice('id-card-reader');
    terminal.attach(reader);
    reader.state('ready');
    const e = parse(createTerminalMetrics({ terminal, clock }).render());
    expect(e.value('xinyi_device_up', { device: 'id-card-reader' })).toBe(1);
    // No journal: no journal families.
    expect(e.type.has('xinyi_journal_backlog')).toBe(false);
  });

  it('reports the journal backlog per kind, read at each scrape', async () => {
    const { terminal, journal, clock, scrape } = rig();
    expect(scrape().value('xinyi_journal_backlog', { kind: 'decisions' })).toBe(0);
    const first = await terminal.present(card(alice.idNumber));
    await terminal.present(card(bob.idNumber));
    let e = scrape();
    expect(e.value('xinyi_journal_backlog', { kind: 'decisions' })).toBe(2);
    expect(e.value('xinyi_journal_backlog', { kind: 'disclosures' })).toBe(0);
    clock.at += 90_000;
    e = scrape();
    expect(e.value('xinyi_journal_oldest_pending_seconds', { kind: 'decisions' })).toBe(90);
    expect(e.value('xinyi_journal_oldest_pending_seconds', { kind: 'disclosures' })).toBe(0);
    expect(e.value('xinyi_uptime_seconds')).toBe(90);

    journal.markUploaded('decisions', [first.id], clock.now());
    expect(scrape().value('xinyi_journal_backlog', { kind: 'decisions' })).toBe(1);
  });

  it('raises and clears the journal alarm with the terminal', async () => {
    const clock = { now: () => Date.parse('2026-11-26T10:00:00+08:00') };
    const inner = createMemoryJournal({ clock });
    let failing = false;
    // A real journal whose commit fails like a full disk while `failing` is set.
    const journal: JournalStore = {
      kind: inner.kind,
      commitDecision: (entry) => {
        if (failing) throw new XinyiError('JOURNAL_FULL', 'the journal is full');
        inner.commitDecision(entry);
      },
      getDecision: inner.getDecision.bind(inner),
      recordUse: inner.recordUse.bind(inner),
      usageCounts: inner.usageCounts.bind(inner),
      appendEvent: inner.appendEvent.bind(inner),
      events: inner.events.bind(inner),
      pendingUploads: inner.pendingUploads.bind(inner),
      markUploaded: inner.markUploaded.bind(inner),
      backlog: inner.backlog.bind(inner),
      overdueDisclosures: inner.overdueDisclosures.bind(inner),
      purge: inner.purge.bind(inner),
      counts: inner.counts.bind(inner),
      close: inner.close.bind(inner),
    };
    const { terminal, scrape } = rig({ journal });
    failing = true;
    await expect(terminal.present(card(alice.idNumber))).rejects.toMatchObject({ code: 'JOURNAL_FULL' });
    let e = scrape();
    expect(e.value('xinyi_alarm_active', { kind: 'journal-unavailable' })).toBe(1);
    expect(e.value('xinyi_errors_total', { code: 'JOURNAL_FULL' })).toBe(1);
    expect(e.values('xinyi_decisions_total')).toEqual([]);
    failing = false;
    await terminal.present(card(alice.idNumber));
    e = scrape();
    expect(e.value('xinyi_alarm_active', { kind: 'journal-unavailable' })).toBe(0);
    expect(e.values('xinyi_decisions_total')).toEqual([1]);
  });

  it('stops counting after dispose()', async () => {
    const { terminal, metrics, platform, scrape } = rig();
    const reader = fakeDevice('id-card-reader');
    terminal.attach(reader);
    reader.state('ready');
    await terminal.present(card(alice.idNumber));
    metrics.dispose();
    await terminal.present(card(alice.idNumber));
    platform.setFailing(true);
    await terminal.present(card(alice.idNumber));
    reader.state('faulted');
    const e = scrape();
    expect(e.values('xinyi_decisions_total')).toEqual([1]);
    expect(e.value('xinyi_decision_latency_seconds_count', { scene: 'library-kiosk' })).toBe(1);
    expect(e.values('xinyi_errors_total')).toEqual([]);
    expect(e.value('xinyi_credit_source_up', { source: 'platform' })).toBe(1);
    expect(e.value('xinyi_device_up', { device: 'id-card-reader' })).toBe(1);
    expect(terminal.listenerCount('decision')).toBe(0);
  });
});
