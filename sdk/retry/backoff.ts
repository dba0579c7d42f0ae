/** Shape of an exponential backoff: the step doubles from `baseDelayMs` up to `maxDelayMs`. */
export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * `equal`: half the step fixed, half random (never less than half the step, so a run of failures
   * cannot become a hot loop, and many terminals do not retry in step); `none`: the step itself.
   * @default 'equal'
   */
  jitter?: 'equal' | 'none';
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * The wait after the `failures`-th consecutive failure (1-based): `baseDelayMs × 2^(failures − 1)`,
 * capped at `maxDelayMs`, with the jitter asked for. Pure but for `random`; every backoff in the SDK
 * (platform requests, uploads, sync runs, device reopening) is computed here.
 */
export function backoffDelayMs(failures: number, options: BackoffOptions): number {
  // 2^30 × any base is past every cap; the bound keeps the power finite.
  const exponent = Math.min(30, Math.max(0, failures - 1));
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  if (options.jitter === 'none') return step;
  const random = options.random ?? Math.random;
  return Math.round(step / 2 + random() * (step / 2));
}
