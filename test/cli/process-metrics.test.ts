import { closeSync, openSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { registerProcessMetrics } from '../../cli/gate/process-metrics.js';
import { MetricsRegistry } from '../../sdk/diagnostics/metrics.js';

const disposers: (() => void)[] = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

function scrape(registry: MetricsRegistry): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of registry.render().split('\n')) {
    const match = /^([a-z_]+) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

describe('the gate daemon’s process metrics', () => {
  it('exposes event-loop delay, heap, RSS and open descriptors as gauges', () => {
    const registry = new MetricsRegistry();
    disposers.push(registerProcessMetrics(registry).dispose);
    const text = registry.render();
    for (const name of [
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_eventloop_lag_max_seconds',
      'nodejs_heap_size_used_bytes',
      'process_resident_memory_bytes',
      'process_open_fds',
    ]) {
      expect(text).toContain(`# TYPE ${name} gauge`);
    }
    const values = scrape(registry);
    expect(values.get('process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    expect(values.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(2 ** 20);
  });

  it('counts descriptors as they are opened and closed', () => {
    const registry = new MetricsRegistry();
    disposers.push(registerProcessMetrics(registry).dispose);
    const before = scrape(registry).get('process_open_fds')!;
    const fds = Array.from({ length: 8 }, () => openSync(__filename, 'r'));
    const during = scrape(registry).get('process_open_fds')!;
    for (const fd of fds) closeSync(fd);
    const after = scrape(registry).get('process_open_fds')!;
    // Other work in this worker may open or close a descriptor meanwhile: compare with slack.
    expect(during - before).toBeGreaterThanOrEqual(6);
    expect(during - after).toBeGreaterThanOrEqual(6);
  });

  it('reports a blocked event loop, and starts a new window at each scrape', async () => {
    const registry = new MetricsRegistry();
    disposers.push(registerProcessMetrics(registry).dispose);
    // Let the monitor take samples, then hold the loop for 120 ms.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const until = Date.now() + 120;
    while (Date.now() < until) {
      // busy: the loop cannot run the monitor's timer
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    // A lower bound only: a busier machine makes the delay longer, never shorter.
    expect(scrape(registry).get('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.1);
    expect(scrape(registry).get('nodejs_eventloop_lag_max_seconds')).toBeLessThan(0.1);
  });
});
