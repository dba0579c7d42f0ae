import { describe, expect, it } from 'vitest';
import { isLeak, pooledTrend, type ResourceSample, windowFloors } from '../../scripts/soak/resource-trend.js';

const HOUR = 3_600_000;

/** Samples every 2 s for `seconds`, starting at `fromMs`, on the line intercept + perHour·t (+ wobble). */
function segment(
  segmentId: number,
  fromMs: number,
  seconds: number,
  intercept: number,
  perHour: number,
  wobble = 0,
): ResourceSample[] {
  const out: ResourceSample[] = [];
  for (let t = 0; t <= seconds * 1000; t += 2_000) {
    const atMs = fromMs + t;
    out.push({
      atMs,
      segment: segmentId,
      value: intercept + (perHour * atMs) / HOUR + wobble * Math.sin(t / 3_000),
    });
  }
  return out;
}

describe('pooledTrend', () => {
  it('recovers a slope shared by restarted runs whose levels differ', () => {
    // Each restart starts lower than the last run ended: one line through all points would fall.
    const samples = [
      ...segment(1, 0, 120, 200, 40),
      ...segment(2, 130_000, 120, 100, 40),
      ...segment(3, 260_000, 120, 50, 40),
    ];
    const trend = pooledTrend(samples, 0);
    expect(trend.slopePerHour).toBeCloseTo(40, 6);
    expect(trend.standardErrorPerHour).toBeCloseTo(0, 6);
    expect(trend.measured).toBe(true);
  });

  it('leaves out each run’s warm-up', () => {
    // A jump in the first 20 s of a run (code loading) and flat afterwards.
    const samples = segment(1, 0, 200, 100, 0).map((s) =>
      s.atMs < 20_000 ? { ...s, value: s.value - 50 } : s,
    );
    expect(pooledTrend(samples, 20_000).slopePerHour).toBeCloseTo(0, 6);
    expect(pooledTrend(samples, 0).slopePerHour!).toBeGreaterThan(10);
  });

  it('needs minSeconds of steady state to measure: a clear slope in a shorter run is not a leak', () => {
    // Four minutes of a steady climb: enough for the default minimum, not for a five-minute one.
    const samples = segment(1, 0, 240, 100, 40, 1);
    expect(isLeak(pooledTrend(samples, 0), 16)).toBe(true);
    const strict = pooledTrend(samples, 0, 300);
    expect(strict.measured).toBe(false);
    expect(strict.slopePerHour!).toBeGreaterThan(30);
    expect(isLeak(strict, 16)).toBe(false);
    expect(pooledTrend(segment(1, 0, 300, 100, 40, 1), 0, 300).measured).toBe(true);
  });

  it('says too little data is not measured, and never a leak', () => {
    const trend = pooledTrend(segment(1, 0, 30, 100, 500), 0);
    expect(trend.measured).toBe(false);
    expect(isLeak(trend, 16)).toBe(false);
  });
});

describe('isLeak', () => {
  it('flags a clear slope above the threshold', () => {
    expect(isLeak(pooledTrend(segment(1, 0, 600, 100, 40, 1), 0), 16)).toBe(true);
  });

  it('does not flag growth that is levelling off, and flags the same growth kept up', () => {
    // A cache filling: +20 MB approached exponentially (time constant 90 s) over a 10-minute run.
    const settling = segment(1, 0, 600, 100, 0).map((s) => ({
      ...s,
      value: s.value + 20 * (1 - Math.exp(-s.atMs / 90_000)),
    }));
    const trend = pooledTrend(settling, 0);
    expect(trend.slopePerHour!).toBeGreaterThan(16);
    expect(trend.laterSlopePerHour!).toBeLessThan(trend.slopePerHour!);
    expect(isLeak(trend, 16)).toBe(false);
    const kept = pooledTrend(segment(1, 0, 600, 100, trend.slopePerHour!, 1), 0);
    expect(isLeak(kept, 16)).toBe(true);
  });

  it('does not flag a slope within the threshold', () => {
    expect(isLeak(pooledTrend(segment(1, 0, 600, 100, 10, 1), 0), 16)).toBe(false);
  });

  it('does not flag a slope that noise alone could explain', () => {
    // A big sawtooth over a short run (37 samples, symmetric about the middle so it adds no slope of its
    // own): the fitted slope is above the threshold, and its error is larger still.
    const noisy = segment(1, 0, 72, 100, 200).map((s, i) => ({
      ...s,
      value: s.value + (i % 2 === 0 ? 40 : -40),
    }));
    const trend = pooledTrend(noisy, 0);
    expect(trend.slopePerHour!).toBeGreaterThan(16);
    expect(trend.slopePerHour! - 2 * trend.standardErrorPerHour!).toBeLessThan(0);
    expect(isLeak(trend, 16)).toBe(false);
  });
});

describe('windowFloors', () => {
  /** A count of `base` descriptors plus the sockets of requests in flight, sampled every 2 s. */
  function descriptorSamples(seconds: number, leakPerHour: number, inFlight: (t: number) => number) {
    const out: ResourceSample[] = [];
    for (let t = 0; t <= seconds * 1000; t += 2_000) {
      out.push({ atMs: t, segment: 0, value: 56 + Math.floor((leakPerHour * t) / HOUR) + inFlight(t) });
    }
    return out;
  }
  // Requests in flight: 0–6 sockets, more of them in a slow-platform episode over the last 80 s.
  const bursts = (t: number) => ((t / 2_000) % 5 === 0 ? 0 : t > 220_000 ? 6 : (t / 2_000) % 3);

  it('keeps in-flight sockets from reading as a leak that the raw samples show', () => {
    const raw = descriptorSamples(300, 0, bursts);
    expect(isLeak(pooledTrend(raw, 0), 30)).toBe(true);
    const floors = windowFloors(raw, 10_000);
    expect(floors).toHaveLength(31);
    expect(floors.every((s) => s.value === 56)).toBe(true);
    expect(isLeak(pooledTrend(floors, 0), 30)).toBe(false);
  });

  it('still finds a descriptor leaked every minute under the same bursts', () => {
    const floors = windowFloors(descriptorSamples(300, 60, bursts), 10_000);
    const trend = pooledTrend(floors, 0);
    expect(trend.measured).toBe(true);
    expect(trend.slopePerHour).toBeGreaterThan(50);
    expect(isLeak(trend, 30)).toBe(true);
  });

  it('takes each segment’s windows from its own first sample', () => {
    const samples = [
      { atMs: 0, segment: 1, value: 5 },
      { atMs: 9_000, segment: 1, value: 3 },
      { atMs: 12_000, segment: 1, value: 4 },
      { atMs: 15_000, segment: 2, value: 9 },
      { atMs: 24_000, segment: 2, value: 7 },
      { atMs: 25_000, segment: 2, value: 8 },
    ];
    expect(windowFloors(samples, 10_000)).toEqual([
      { atMs: 0, segment: 1, value: 3 },
      { atMs: 12_000, segment: 1, value: 4 },
      { atMs: 15_000, segment: 2, value: 7 },
      { atMs: 25_000, segment: 2, value: 8 },
    ]);
  });
});
