import { XinyiError } from '../errors.js';

/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with
 * labels. Enough for a terminal's `/metrics`, without a dependency. Label values must never carry
 * personal data: use scene ids, outcomes, device names.
 */
export type Labels = Readonly<Record<string, string>>;

interface MetricBase {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function checkLabels(metric: string, labels: Labels): void {
  for (const key of Object.keys(labels)) {
    if (!LABEL.test(key) || key === 'le') {
      throw new XinyiError('INVALID_ARGUMENT', `metric ${metric}: bad label name ${key}`);
    }
  }
}

export class Counter implements MetricBase {
  readonly type = 'counter' as const;
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new XinyiError('INVALID_ARGUMENT', `counter ${this.name}: increment must be ≥ 0`);
    const key = keyOf(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else {
      checkLabels(this.name, labels);
      this.#values.set(key, { labels: { ...labels }, value: by });
    }
  }

  get(labels: Labels = {}): number {
    return this.#values.get(keyOf(labels))?.value ?? 0;
  }

  render(): string[] {
    return [...this.#values.values()].map(
      (e) => `${this.name}${labelText(e.labels)} ${formatValue(e.value)}`,
    );
  }
}

export class Gauge implements MetricBase {
  readonly type = 'gauge' as const;
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  /** Called at each scrape to set the gauge's values (e.g. a backlog read from the journal). */
  collect: ((gauge: Gauge) => void) | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
    collect?: (gauge: Gauge) => void,
  ) {
    this.collect = collect;
  }

  set(labels: Labels, value: number): void {
    const key = keyOf(labels);
    if (!this.#values.has(key)) checkLabels(this.name, labels);
    this.#values.set(key, { labels: { ...labels }, value });
  }

  /** Drops every labelled value (before a collect sets the current ones). */
  reset(): void {
    this.#values.clear();
  }

  get(labels: Labels = {}): number | undefined {
    return this.#values.get(keyOf(labels))?.value;
  }

  render(): string[] {
    this.collect?.(this);
    return [...this.#values.values()].map(
      (e) => `${this.name}${labelText(e.labels)} ${formatValue(e.value)}`,
    );
  }
}

export class Histogram implements MetricBase {
  readonly type = 'histogram' as const;
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new XinyiError('INVALID_ARGUMENT', `histogram ${name}: buckets must be distinct finite numbers`);
    }
    this.#buckets = sorted;
  }

  observe(value: number, labels: Labels = {}): void {
    const key = keyOf(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      checkLabels(this.name, labels);
      series = { labels: { ...labels }, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.#buckets.length; i++) if (value <= this.#buckets[i]!) series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  render(): string[] {
    const lines: string[] = [];
    for (const s of this.#series.values()) {
      this.#buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${labelText(s.labels, ['le', formatValue(b)])} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, MetricBase>();

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  gauge(name: string, help: string, collect?: (gauge: Gauge) => void): Gauge {
    return this.#add(new Gauge(name, help, collect));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  /** The exposition text (`Content-Type: text/plain; version=0.0.4`). */
  render(): string {
    const out: string[] = [];
    for (const metric of this.#metrics.values()) {
      out.push(`# HELP ${metric.name} ${metric.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${metric.name} ${metric.type}`);
      out.push(...metric.render());
    }
    return `${out.join('\n')}\n`;
  }

  #add<M extends MetricBase>(metric: M): M {
    if (!NAME.test(metric.name)) throw new XinyiError('INVALID_ARGUMENT', `bad metric name ${metric.name}`);
    if (this.#metrics.has(metric.name)) {
      throw new XinyiError('INVALID_ARGUMENT', `metric ${metric.name} is already registered`);
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
