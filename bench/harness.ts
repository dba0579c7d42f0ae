// What every bench shares: rounds summarised as min / median / max, figures with their named baseline
// and ratio, one way to print them, and running a bench file on its own.
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { fmt } from './stats.js';

/** Values of the rounds of one measurement. */
export interface Rounds {
  min: number;
  median: number;
  max: number;
  rounds: number;
}

/** One published number: the median of its rounds, with the rounds' spread and its baseline. */
export interface Figure extends Rounds {
  /** Stable key, `bench.figure` (docs refer to figures by it). */
  id: string;
  label: string;
  unit: string;
  /** The named baseline measured in the same process, and the ratio of the medians (figure / baseline). */
  baseline?: { label: string; median: number; min: number; max: number };
  ratio?: number;
}

export interface BenchResult {
  /** The file's name without `.bench.ts`. */
  bench: string;
  title: string;
  figures: Figure[];
  /** Lines printed under the table: what was measured, targets met or not. */
  notes: string[];
}

export function summarize(values: readonly number[]): Rounds {
  if (values.length === 0) throw new Error('no rounds');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)!, rounds: sorted.length };
}

export function figure(
  id: string,
  label: string,
  unit: string,
  measured: Rounds,
  baseline?: { label: string } & Rounds,
): Figure {
  const result: Figure = { id, label, unit, ...measured };
  if (baseline !== undefined) {
    result.baseline = {
      label: baseline.label,
      median: baseline.median,
      min: baseline.min,
      max: baseline.max,
    };
    // A zero baseline (no misreads on either side) has no meaningful ratio.
    if (baseline.median !== 0) result.ratio = measured.median / baseline.median;
  }
  return result;
}

/** A single value (a count, a size), reported as one round. */
export function single(value: number): Rounds {
  return { min: value, median: value, max: value, rounds: 1 };
}

function digitsFor(value: number): number {
  const abs = Math.abs(value);
  if (abs >= 1000) return 0;
  if (abs >= 100) return 1;
  if (abs >= 1) return 2;
  return 3;
}

/** A number as the tables print it: thousands separators, about three significant digits. */
export function formatValue(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return String(value);
  const text = fmt(value, digitsFor(value));
  return unit === '' ? text : `${text} ${unit}`;
}

function pad(text: string, width: number, right = false): string {
  if (text.length >= width) return text;
  return right ? ' '.repeat(width - text.length) + text : text + ' '.repeat(width - text.length);
}

export function printResult(result: BenchResult): void {
  console.log(`\n${result.title}`);
  const rows = result.figures.map((f) => [
    f.label,
    formatValue(f.median, f.unit),
    f.rounds > 1 ? `${formatValue(f.min)} – ${formatValue(f.max)} (${f.rounds})` : '',
    f.baseline === undefined ? '' : `${formatValue(f.baseline.median, f.unit)}  ${f.baseline.label}`,
    f.ratio === undefined ? '' : `${formatValue(f.ratio)}×`,
  ]);
  const head = ['figure', 'median', 'min – max (rounds)', 'baseline', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => pad(c, widths[i]!, i === 1 || i === 4)).join('  ')}`.trimEnd();
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  for (const note of result.notes) console.log(`  ${note}`);
}

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === metaUrl;
}

/** `node --import tsx bench/X.bench.ts`: runs the bench and prints it. */
export async function runAlone(metaUrl: string, run: () => Promise<BenchResult>): Promise<void> {
  if (!isMain(metaUrl)) return;
  // A figure means little without how busy the machine was (npm run bench prints the same).
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
  console.log(`node ${process.version}, ${cpus().length} cores, load average (1 / 5 / 15 min) ${load()}`);
  printResult(await run());
  console.log(`  load average at the end: ${load()}`);
}
