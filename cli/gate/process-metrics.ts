import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MetricsRegistry } from '../../sdk/diagnostics/metrics.js';

/**
 * The daemon process's own health in `/metrics`: event-loop delay, heap, resident memory and open
 * file descriptors — what tells an operator that a lane PC is starved or that something leaks, before
 * decisions slow down. A few gauges on the terminal's registry rather than `prom-client`'s default
 * collectors: one registry and exposition for everything, no second dependency, and the names are the
 * ones `prom-client` and the Prometheus client guidelines use, so existing dashboards read them.
 */
export interface ProcessMetrics {
  /** Stops the event-loop delay monitor. */
  dispose(): void;
}

const NS_PER_SECOND = 1e9;

export function registerProcessMetrics(registry: MetricsRegistry): ProcessMetrics {
  // 10 ms resolution: a lane's deadline is 800 ms, and a finer timer costs the loop it measures.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  registry.gauge(
    'nodejs_eventloop_lag_p99_seconds',
    'Event-loop delay, 99th percentile since the previous scrape (a decision waits at least this long).',
    (g) => g.set({}, delay.count > 0 ? delay.percentile(99) / NS_PER_SECOND : 0),
  );
  registry.gauge(
    'nodejs_eventloop_lag_max_seconds',
    'Longest event-loop delay since the previous scrape; the window restarts at each scrape.',
    (g) => {
      g.set({}, delay.count > 0 ? delay.max / NS_PER_SECOND : 0);
      delay.reset();
    },
  );
  registry.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use.', (g) =>
    g.set({}, process.memoryUsage().heapUsed),
  );
  registry.gauge('process_resident_memory_bytes', 'Resident memory of the daemon process.', (g) =>
    g.set({}, process.memoryUsage.rss()),
  );
  registry.gauge(
    'process_open_fds',
    'Open file descriptors of the daemon process (Linux: /proc/self/fd; absent elsewhere).',
    (g) => {
      g.reset();
      const fds = openFileDescriptors();
      if (fds !== undefined) g.set({}, fds);
    },
  );
  return { dispose: () => delay.disable() };
}

/** Open descriptors, not counting the one the listing itself holds; undefined without /proc. */
function openFileDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}
