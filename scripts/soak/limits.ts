// The soak's limits, each with the reason for its value: the bounds its invariants judge against, the
// leak thresholds, and the pacing of arrivals and faults.

/** The terminals' decision deadline, set explicitly in the daemon's configuration and the checkout's. */
export const DECISION_DEADLINE_MS = 800;
/**
 * Time the ID-card reader needs to hand a card over: the daemon polls every 100 ms (the site's
 * `pollIntervalMs`), the simulated SAM spends 5 + 5 + 60 ms on find, select and read, and the 1295-byte
 * answer crosses the PTY in well under 10 ms. 400 ms is twice that.
 */
export const CARD_READ_MS = 400;
/**
 * Time the QR scanner needs: a garbage fault writes its noise and then stays silent for 500 ms before
 * the scan (the scanner's `gapMs`), and the line is decoded at its CR. 700 ms covers that.
 */
export const CODE_READ_MS = 700;
/**
 * Scheduling slack on top of deadline and read time: the commit's fsync (`synchronous = FULL`), the log
 * line through a pipe, and two event loops (the daemon's, and the soak's, which also runs the mock
 * platform, the virtual devices and the checkout) on a CI machine that runs other tests at the same time.
 */
export const DEFAULT_MARGIN_MS = 1_000;
/** A device plugged back in is reopened by the daemon's backoff, which doubles up to 10 s; plus 3 s to open it. */
export const DEVICE_RECOVERY_MS = 13_000;
/** A SIGKILLed daemon, restarted, is up with every device ready: Node + tsx start-up, journal, device opens. */
export const RESTART_RECOVERY_MS = 30_000;
/** After the arrivals stop and faults are cleared: the uploaders' backoff reaches 60 s, so up to 90 s to drain. */
export const DRAIN_MS = 90_000;
/** Resource samples are taken this often. */
export const SAMPLE_INTERVAL_MS = 2_000;
/**
 * A daemon's first five minutes are left out of its live-heap and FD trends: tsx transpiles the CLI at
 * start (RSS near 137 MB, down to about 102 MB once that garbage is collected, a minute or two later),
 * V8 sizes its heap spaces and compiles the hot paths (code space grows from 1.3 to 2.4 MB over ten
 * minutes). In a 24-minute soak the live heap grew 9 MB/h between minutes 2 and 5 of a run and 1.7 MB/h
 * after; with three minutes left out, a run that ended at minute 7 measured 5.5 MB/h, with five 3.2.
 */
export const WARM_UP_MS = 300_000;
/**
 * RSS settles later than the live heap: after the start-up garbage is gone, a daemon's RSS still rises
 * about 3 MB over its first 8 minutes (malloc arenas, SQLite page caches filling with the growing
 * journal, V8 committing heap pages) and is flat after. Measured in a 20-minute soak (seed xinyi-soak):
 * per-minute means 106.4 MB at minute 1, 109.5 at minute 7, then 108.2–109.2 up to minute 16. So RSS
 * is judged only past each run's first 8 minutes, and only with 5 minutes of that: a 10-minute soak
 * reports the daemon's RSS slope but cannot judge it; `--minutes 20` or more does.
 */
export const RSS_WARM_UP_MS = 480_000;
export const RSS_MIN_TREND_SECONDS = 300;
/**
 * Leak thresholds, per hour. RSS: a gate daemon under systemd is given a few hundred MB; growing by
 * 16 MB an hour would use up 384 MB in a day, well before the monthly restart nobody schedules — and a
 * leak of one retained decision (≈2 kB) per gate arrival at this soak's rate is ≈4 MB/h, so the
 * threshold catches a per-request leak of a few kB. Smaller slopes are within the noise a GC sawtooth
 * leaves in a 10-minute run (the report gives the standard error). File descriptors are discrete: a
 * leak of one per request is thousands an hour; 30 per hour (one per two minutes) is far above the
 * ± few sockets the keep-alive pool and health checks move.
 */
export const RSS_LEAK_MB_PER_HOUR = 16;
export const HEAP_LEAK_MB_PER_HOUR = 8;
export const FD_LEAK_PER_HOUR = 30;
/**
 * File-descriptor trends are fitted on the lowest count of each 10 s window (`windowFloors`), not on
 * every 2 s sample: the soak process holds both ends of the checkout's platform connections and the
 * server end of the daemon's, so its count moves by ± 6 sockets with the requests in flight. A CI
 * run judged that movement a leak (slope 32 FDs/h, later half 83, samples 56–68 with no descriptor
 * kind growing); a leaked descriptor raises every floor after it. 10 s keeps 30 floors in the 5
 * minutes a 10-minute soak judges.
 */
export const FD_FLOOR_WINDOW_MS = 10_000;
/**
 * Fraction of the run in which the daemon may be SIGKILLed: the daemon that runs the rest gives the
 * memory trends a run long enough to measure past their warm-up (7.5 minutes of a 10-minute soak).
 */
export const KILLS_UNTIL = 0.25;
/** By this fraction of the run, a soak that has not SIGKILLed the daemon yet does so next. */
export const FIRST_KILL_BY = 0.15;

/** How long a person holds a card on the reader. */
export const GATE_HOLD_MS = 600;
/** A person is not sent back to the gate within the lane's repeat window (5 s) plus room. */
export const GATE_COOLDOWN_MS = 8_000;
