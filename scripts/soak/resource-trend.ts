/**
 * Memory and file-descriptor trends of a process sampled over a soak. A restarted daemon starts a new
 * segment (its memory starts again from nothing), so the slope is the pooled within-segment
 * least-squares slope: each segment keeps its own intercept, all share one slope.
 */

export interface ResourceSample {
  /** Milliseconds since the soak started. */
  atMs: number;
  /** Which process incarnation (segment) the sample belongs to. */
  segment: number;
  value: number;
}

export interface Trend {
  /**
   * Whether there was enough steady-state data to judge a trend (at least `MIN_TREND_SECONDS` of it
   * and `MIN_TREND_SAMPLES` samples); a shorter run reports its slope but never calls it a leak.
   */
  measured: boolean;
  /** Units per hour; null when there is too little data to fit a line. */
  slopePerHour: number | null;
  /** Standard error of the slope, units per hour. */
  standardErrorPerHour: number | null;
  /**
   * The same fit over the later half of each run's steady samples: growth that is settling (caches
   * filling, JIT code) slows down there; a leak keeps its pace.
   */
  laterSlopePerHour: number | null;
  laterStandardErrorPerHour: number | null;
  /** Samples used (after each segment's warm-up was dropped). */
  samples: number;
  /** Seconds of sampled time the fit covers (sum over segments). */
  coveredSeconds: number;
  min: number | null;
  max: number | null;
}

const MS_PER_HOUR = 3_600_000;
/** A minute of steady state: less is mostly one GC cycle, and its slope says nothing. */
export const MIN_TREND_SECONDS = 60;
export const MIN_TREND_SAMPLES = 20;

/**
 * Fits value = a_segment + slope · t over the samples taken at least `warmUpMs` after each segment's
 * first sample (a process's first minutes load code and fill caches: growth, but not a leak). With
 * less than `minSeconds` of such samples the trend is not `measured`.
 */
export function pooledTrend(
  samples: readonly ResourceSample[],
  warmUpMs: number,
  minSeconds = MIN_TREND_SECONDS,
): Trend {
  const bySegment = new Map<number, ResourceSample[]>();
  for (const s of samples) {
    const list = bySegment.get(s.segment) ?? [];
    list.push(s);
    bySegment.set(s.segment, list);
  }
  const kept: ResourceSample[][] = [];
  for (const list of bySegment.values()) {
    const start = list[0]!.atMs;
    const steady = list.filter((s) => s.atMs - start >= warmUpMs);
    if (steady.length >= 3) kept.push(steady);
  }
  const all = kept.flat();
  const values = all.map((s) => s.value);
  const coveredSeconds = kept.reduce((sum, seg) => sum + (seg.at(-1)!.atMs - seg[0]!.atMs) / 1000, 0);
  const whole = fitSharedSlope(kept);
  const later = fitSharedSlope(
    kept.map((seg) => seg.slice(Math.floor(seg.length / 2))).filter((seg) => seg.length >= 3),
  );
  return {
    measured: whole.slope !== null && coveredSeconds >= minSeconds && all.length >= MIN_TREND_SAMPLES,
    slopePerHour: whole.slope,
    standardErrorPerHour: whole.standardError,
    laterSlopePerHour: later.slope,
    laterStandardErrorPerHour: later.standardError,
    samples: all.length,
    coveredSeconds,
    min: values.length > 0 ? Math.min(...values) : null,
    max: values.length > 0 ? Math.max(...values) : null,
  };
}

/** Least squares with one intercept per segment and one shared slope (units per hour). */
function fitSharedSlope(segments: readonly ResourceSample[][]): {
  slope: number | null;
  standardError: number | null;
} {
  let sxx = 0;
  let sxy = 0;
  let n = 0;
  const centred: { dt: number; dy: number }[] = [];
  for (const seg of segments) {
    const tMean = seg.reduce((sum, s) => sum + s.atMs, 0) / seg.length;
    const yMean = seg.reduce((sum, s) => sum + s.value, 0) / seg.length;
    for (const s of seg) {
      const dt = (s.atMs - tMean) / MS_PER_HOUR;
      const dy = s.value - yMean;
      centred.push({ dt, dy });
      sxx += dt * dt;
      sxy += dt * dy;
      n++;
    }
  }
  // One intercept per segment plus the slope: that many parameters are fitted.
  const freedom = n - segments.length - 1;
  if (sxx === 0 || freedom < 1) return { slope: null, standardError: null };
  const slope = sxy / sxx;
  const residual = centred.reduce((sum, { dt, dy }) => sum + (dy - slope * dt) ** 2, 0);
  return { slope, standardError: Math.sqrt(residual / freedom / sxx) };
}

/**
 * The lowest value of each `windowMs` window of each segment, at the window's first sample. For
 * counts that in-flight work raises for a moment, such as file descriptors: a socket open for a
 * request, or a keep-alive connection the other end has not closed yet, lifts a sample, not the
 * floor; a leaked descriptor lifts every floor after it. Fitted on raw samples, a burst of sockets
 * near the end of a 5-minute window (a slow-platform episode) reads as a slope of tens an hour.
 */
export function windowFloors(samples: readonly ResourceSample[], windowMs: number): ResourceSample[] {
  const floors = new Map<string, ResourceSample>();
  const starts = new Map<number, number>();
  for (const s of samples) {
    const start = starts.get(s.segment) ?? s.atMs;
    starts.set(s.segment, start);
    const key = `${s.segment}:${Math.floor((s.atMs - start) / windowMs)}`;
    const floor = floors.get(key);
    if (floor === undefined) floors.set(key, { ...s });
    else floor.value = Math.min(floor.value, s.value);
  }
  return [...floors.values()];
}

/**
 * A leak is a slope above `thresholdPerHour` that the data also shows clearly (at least two standard
 * errors above zero), over the whole steady part of the runs and over its later half alike: a short
 * run's noise (a GC cycle caught at the end) is not a leak, nor is growth that is levelling off, nor a
 * tiny steady growth well within the budget.
 */
export function isLeak(trend: Trend, thresholdPerHour: number): boolean {
  const clear = (slope: number | null, error: number | null) =>
    slope !== null && error !== null && slope > thresholdPerHour && slope - 2 * error > 0;
  return (
    trend.measured &&
    clear(trend.slopePerHour, trend.standardErrorPerHour) &&
    clear(trend.laterSlopePerHour, trend.laterStandardErrorPerHour)
  );
}
