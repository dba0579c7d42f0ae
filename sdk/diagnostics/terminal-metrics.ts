import type { GateAlarmEvent } from '../gate/gate.js';
import type { GateController, GateOutcome, GatePassage } from '../gate/gate-controller.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { Terminal, TerminalEventMap } from '../terminal/terminal-contract.js';
import { type Counter, type Gauge, MetricsRegistry } from './metrics.js';

export interface TerminalMetricsOptions {
  terminal: Terminal;
  journal?: JournalStore;
  gates?: readonly GateController[];
  /** The uploader's state, read at each scrape. */
  uploaderState?: () => string;
  registry?: MetricsRegistry;
  clock?: { now(): number };
}

export interface TerminalMetrics {
  readonly registry: MetricsRegistry;
  /** The exposition text for `/metrics`. */
  render(): string;
  /** Stops listening to the terminal and gates. */
  dispose(): void;
}

/** Seconds: decisions are sub-millisecond from local sources and bounded by the deadline otherwise. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The terminal's Prometheus metrics: decisions by outcome and scene, a latency histogram, credit
 * sources and devices up or down, the journal's backlog, overdue disclosures, alarms, and the gate
 * lanes' openings and passages. Labels carry scene ids, outcomes and device names only.
 */
export function createTerminalMetrics(options: TerminalMetricsOptions): TerminalMetrics {
  const { terminal, journal } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const registry = options.registry ?? new MetricsRegistry();
  const started = clock.now();
  const decisions = registry.counter(
    'xinyi_decisions_total',
    'Decisions made, by scene, outcome and standing source.',
  );
  const latency = registry.histogram(
    'xinyi_decision_latency_seconds',
    'Time from present() to the decision, by scene.',
    LATENCY_BUCKETS,
  );
  const errors = registry.counter(
    'xinyi_errors_total',
    'Non-fatal problems reported by the terminal, by error code.',
  );
  // Seeded from the terminal, so a source that never failed and a device attached before the metrics
  // have a series too, not only those that changed state since.
  const known = terminal.diagnostics();
  const sources = new Map<string, number>(known.creditSources.map((s) => [s.name, s.offline ? 0 : 1]));
  registry.gauge(
    'xinyi_credit_source_up',
    'Whether a credit source answered last time (1) or failed (0).',
    (g) => {
      for (const [source, up] of sources) g.set({ source }, up);
    },
  );
  const devices = new Map<string, string>(Object.entries(known.devices).map(([d, e]) => [d, e.state]));
  registry.gauge('xinyi_device_up', 'Whether a device is ready (1) or not (0).', (g) => {
    g.reset();
    for (const [device, state] of devices) g.set({ device }, state === 'ready' ? 1 : 0);
  });
  registry.gauge(
    'xinyi_device_state',
    'The current state of each device (1 for the state it is in).',
    (g) => {
      g.reset();
      for (const [device, state] of devices) g.set({ device, state }, 1);
    },
  );
  const alarms = new Map<string, number>();
  registry.gauge(
    'xinyi_alarm_active',
    'Terminal alarms (journal unavailable, backlog, …) active now.',
    (g) => {
      for (const [kind, active] of alarms) g.set({ kind }, active);
    },
  );
  if (journal) {
    registry.gauge('xinyi_journal_backlog', 'Records committed but not yet uploaded, by kind.', (g) => {
      try {
        for (const [kind, b] of Object.entries(journal.backlog())) g.set({ kind }, b.count);
      } catch {
        // A journal that cannot be read is already raised as an alarm.
      }
    });
    registry.gauge(
      'xinyi_journal_oldest_pending_seconds',
      'Age of the oldest record not yet uploaded.',
      (g) => {
        try {
          for (const [kind, b] of Object.entries(journal.backlog())) {
            g.set({ kind }, b.oldestAt === null ? 0 : Math.max(0, (clock.now() - b.oldestAt) / 1000));
          }
        } catch {}
      },
    );
    registry.gauge(
      'xinyi_disclosures_overdue',
      'Disclosure records past their due date and not yet uploaded.',
      (g) => {
        try {
          g.set({}, journal.overdueDisclosures(clock.now()).length);
        } catch {}
      },
    );
  }
  if (options.uploaderState) {
    const read = options.uploaderState;
    registry.gauge(
      'xinyi_uploader_online',
      'Whether the uploader reached the platform last time (1) or not (0).',
      (g) => g.set({}, read() === 'offline' ? 0 : 1),
    );
  }
  registry.gauge(
    'xinyi_calendar_official_days_left',
    'Days from today to the end of the holiday calendar’s official arrangements (0: today is provisional).',
    (g) => g.set({}, terminal.calendarCoverage().officialDaysLeft),
  );
  registry.gauge(
    'xinyi_calendar_provisional_today',
    'Whether today’s holiday arrangement is computed from the statutory rules (1) or official (0).',
    (g) => g.set({}, terminal.calendarCoverage().provisionalToday ? 1 : 0),
  );
  registry.gauge('xinyi_uptime_seconds', 'Seconds since the metrics were set up.', (g) =>
    g.set({}, Math.round((clock.now() - started) / 1000)),
  );

  const offs: Array<() => void> = [];
  const onTerminal = <K extends keyof TerminalEventMap>(
    event: K,
    listener: (...args: TerminalEventMap[K]) => void,
  ) => {
    terminal.on(event, listener as never);
    offs.push(() => terminal.off(event, listener as never));
  };
  onTerminal('decision', (d) => {
    decisions.inc({ scene: d.scene, outcome: d.outcome, source: d.standingSource });
    if (d.latencyMs !== undefined) latency.observe(d.latencyMs / 1000, { scene: d.scene });
  });
  onTerminal('warning', (e) => errors.inc({ code: e.code }));
  onTerminal('offline', (e) => sources.set(e.source, 0));
  onTerminal('online', (e) => sources.set(e.source, 1));
  onTerminal('device', (e) => devices.set(e.device, e.state));
  onTerminal('alarm', (e) => alarms.set(e.kind, e.active ? 1 : 0));

  const site = terminal.site;
  if (site) {
    const siteLatency = registry.histogram(
      'xinyi_site_store_latency_seconds',
      'Time of each site-store call that answered, by operation.',
      LATENCY_BUCKETS,
    );
    const siteErrors = registry.counter(
      'xinyi_site_store_errors_total',
      'Site-store calls that failed or ran past their budget, by operation and error code.',
    );
    const degraded = registry.counter(
      'xinyi_site_degraded_decisions_total',
      'Decisions made from local state because the site store did not answer in time, by scene.',
    );
    const reconciled = registry.counter(
      'xinyi_site_reconciled_uses_total',
      'Uses counted locally during a site-store outage and pushed to it afterwards.',
    );
    const doubleGrants = registry.counter(
      'xinyi_site_double_grants_total',
      'Uses counted past their cap (granted while the site store was down), by rule.',
    );
    registry.gauge(
      'xinyi_site_store_up',
      'Whether the site store is taken as reachable (1) or down (0).',
      (g) => g.set({ kind: site.kind }, site.up ? 1 : 0),
    );
    registry.gauge('xinyi_site_deferred_uses', 'Uses waiting to reach the site store.', (g) =>
      g.set({}, site.status().deferredUses),
    );
    const onCall = (e: { operation: string; ms: number; ok: boolean; code?: string }) => {
      if (e.ok) siteLatency.observe(e.ms / 1000, { operation: e.operation });
      else siteErrors.inc({ operation: e.operation, code: e.code ?? 'unknown' });
    };
    const onReconciled = (e: { uses: number }) => reconciled.inc({}, e.uses);
    const onDoubleGrant = (e: { ruleId: string }) => doubleGrants.inc({ rule: e.ruleId });
    site.on('call', onCall);
    site.on('reconciled', onReconciled);
    site.on('double-grant', onDoubleGrant);
    onTerminal('decision', (d) => {
      if (d.siteStateDegraded) degraded.inc({ scene: d.scene });
    });
    offs.push(() => {
      site.off('call', onCall);
      site.off('reconciled', onReconciled);
      site.off('double-grant', onDoubleGrant);
    });
  }

  if (options.gates && options.gates.length > 0) {
    const outcomes: Counter = registry.counter(
      'xinyi_gate_outcomes_total',
      'What became of credentials at each gate lane.',
    );
    const passages: Counter = registry.counter(
      'xinyi_gate_passages_total',
      'Passages after openings, by kind.',
    );
    const gateAlarms: Counter = registry.counter('xinyi_gate_alarms_total', 'Gate alarms raised, by alarm.');
    const pending: Gauge = registry.gauge(
      'xinyi_gate_pending_openings',
      'Openings waiting for their passage.',
    );
    pending.collect = (g) => {
      for (const gate of options.gates ?? []) g.set({ direction: gate.direction }, gate.pendingOpenings);
    };
    for (const gate of options.gates) {
      const direction = gate.direction;
      const onOutcome = (o: GateOutcome) => outcomes.inc({ direction, outcome: o.kind });
      const onPassage = (p: GatePassage) => passages.inc({ direction, kind: p.kind });
      const onAlarm = (a: GateAlarmEvent) => {
        if (a.active) gateAlarms.inc({ alarm: a.alarm });
      };
      gate.on('outcome', onOutcome);
      gate.on('passage', onPassage);
      gate.on('alarm', onAlarm);
      offs.push(() => {
        gate.off('outcome', onOutcome);
        gate.off('passage', onPassage);
        gate.off('alarm', onAlarm);
      });
    }
  }

  return {
    registry,
    render: () => registry.render(),
    dispose: () => {
      for (const off of offs.splice(0)) off();
    },
  };
}
