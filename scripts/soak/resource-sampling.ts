// The daemon's and the soak's own resources, sampled through the run (RSS and FDs from /proc, the live
// heap after a full GC), and the trends judged from them at the end.
import { ownLiveHeap, ownResources } from './daemon-process.js';
import {
  FD_FLOOR_WINDOW_MS,
  FD_LEAK_PER_HOUR,
  HEAP_LEAK_MB_PER_HOUR,
  RSS_LEAK_MB_PER_HOUR,
  RSS_MIN_TREND_SECONDS,
  RSS_WARM_UP_MS,
  WARM_UP_MS,
} from './limits.js';
import type { SoakReport, TrendReport } from './report-shape.js';
import {
  isLeak,
  MIN_TREND_SECONDS,
  pooledTrend,
  type ResourceSample,
  windowFloors,
} from './resource-trend.js';
import { type SoakRun, sinceStart } from './run-state.js';

/** One sample of the daemon's RSS and FDs and the soak's own (its live heap every 5th time). */
export function sampleResources(run: SoakRun): void {
  const samples = run.resources;
  const atMs = sinceStart(run);
  const daemon = run.daemon.current;
  const d = daemon?.resources();
  if (d && daemon) {
    samples.daemonRss.push({ atMs, segment: daemon.incarnation, value: d.rssKb / 1024 });
    samples.daemonFds.push({ atMs, segment: daemon.incarnation, value: d.fds });
  }
  const own = ownResources();
  samples.soakRss.push({ atMs, segment: 0, value: own.rssKb / 1024 });
  samples.soakFds.push({ atMs, segment: 0, value: own.fds });
  // A full GC of this process every 5th sample (10 s), as the probe does in the daemon.
  if (samples.count++ % 5 === 0) samples.soakHeap.push({ atMs, segment: 0, value: ownLiveHeap() / 2 ** 20 });
}

function trend(
  s: ResourceSample[],
  threshold: number,
  judged = true,
  warmUpMs = WARM_UP_MS,
  minSeconds = MIN_TREND_SECONDS,
): TrendReport {
  const t = pooledTrend(s, warmUpMs, minSeconds);
  return {
    ...t,
    judged,
    leak: judged && isLeak(t, threshold),
    thresholdPerHour: threshold,
    warmUpSeconds: warmUpMs / 1000,
    minSeconds,
  };
}

const raw = (list: ResourceSample[]) =>
  list.map((x) => [Math.round(x.atMs / 100) / 10, x.segment, Math.round(x.value * 100) / 100]);

/** The trends of the run's samples, judged against the leak thresholds, with the raw samples. */
export function resourceTrends(run: SoakRun): SoakReport['resources'] {
  const samples = run.resources;
  const resources: SoakReport['resources'] = {
    daemonRssMb: trend(samples.daemonRss, RSS_LEAK_MB_PER_HOUR, true, RSS_WARM_UP_MS, RSS_MIN_TREND_SECONDS),
    daemonHeapMb: trend(samples.daemonHeap, HEAP_LEAK_MB_PER_HOUR),
    daemonFds: trend(windowFloors(samples.daemonFds, FD_FLOOR_WINDOW_MS), FD_LEAK_PER_HOUR),
    soakRssMb: trend(samples.soakRss, RSS_LEAK_MB_PER_HOUR, false),
    soakHeapMb: trend(samples.soakHeap, HEAP_LEAK_MB_PER_HOUR, false),
    soakFds: trend(windowFloors(samples.soakFds, FD_FLOOR_WINDOW_MS), FD_LEAK_PER_HOUR),
    daemonSegments: run.daemon.incarnations,
    soakPerDecisionKb: null,
    daemonHeapSpaces: samples.heapSpaces,
    samples: {
      daemonRssMb: raw(samples.daemonRss),
      daemonHeapMb: raw(samples.daemonHeap),
      daemonFds: raw(samples.daemonFds),
      soakRssMb: raw(samples.soakRss),
      soakHeapMb: raw(samples.soakHeap),
      soakFds: raw(samples.soakFds),
    },
  };
  const decisions = run.gate.logged.length + run.checkout.ids.length;
  const decisionsPerHour = (decisions * 3_600_000) / Math.max(1, sinceStart(run));
  if (resources.soakHeapMb.slopePerHour !== null) {
    resources.soakPerDecisionKb =
      Math.round(((resources.soakHeapMb.slopePerHour * 1024) / decisionsPerHour) * 100) / 100;
  }
  return resources;
}
