import { performance } from 'node:perf_hooks';

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Calls per second of `fn` over at least `minMs` of wall time, after a warm-up. */
export function throughput(fn: (i: number) => unknown, minMs = 1500): number {
  for (let i = 0; i < 20_000; i++) fn(i);
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 10_000; i++) fn(calls + i);
    calls += 10_000;
    elapsed = performance.now() - start;
  }
  return (calls / elapsed) * 1000;
}

/**
 * As `throughput`, and the same calls per second of process CPU time: on a machine shared with other
 * work, wall-clock rates fall with the load while the CPU-time rate is what one free core delivers.
 */
export function throughputWithCpu(fn: (i: number) => unknown, minMs = 1500): { wall: number; cpu: number } {
  for (let i = 0; i < 20_000; i++) fn(i);
  let calls = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 10_000; i++) fn(calls + i);
    calls += 10_000;
    elapsed = performance.now() - start;
  }
  const used = process.cpuUsage(cpu);
  return { wall: (calls / elapsed) * 1000, cpu: (calls / (used.user + used.system)) * 1e6 };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
