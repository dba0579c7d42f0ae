import { type Clock, shanghaiDate, systemClock } from '../clock.js';
import type { GateDirection } from './gate.js';

export interface AntiPassbackOptions {
  /** Forget every presence at the Asia/Shanghai day boundary (a site that closes at night). @default true */
  resetDaily?: boolean;
  /** Presences kept at most; the oldest are forgotten first. @default 100000 */
  maxSubjects?: number;
  clock?: Clock;
}

/**
 * Anti-passback for a site with entry and exit lanes: someone inside may not enter again until they
 * have gone out, and someone outside may not "exit" (which would let a second person in on one
 * entry). Share one instance between the entry and the exit lane's `GateController` of one process.
 * Keyed by pseudonym; kept in memory. Lanes in several processes or on several hosts share presence
 * through the site state instead (`GateController({ antiPassback: true })`, docs/gates.md §7); the
 * in-process site state keeps its presences in one of these.
 */
export class AntiPassback {
  readonly #resetDaily: boolean;
  readonly #max: number;
  readonly #clock: Clock;
  /** pseudonym → where they are now; Map order is insertion order, so the first key is the oldest. */
  readonly #inside = new Map<string, { direction: GateDirection; day: string }>();

  constructor(options: AntiPassbackOptions = {}) {
    this.#resetDaily = options.resetDaily ?? true;
    this.#max = options.maxSubjects ?? 100_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether `pseudonym` may pass in `direction` now. */
  allows(pseudonym: string, direction: GateDirection): boolean {
    return allowsPassage(this.presence(pseudonym), direction);
  }

  /** Records a confirmed passage. */
  passed(pseudonym: string, direction: GateDirection): void {
    this.record(pseudonym, direction);
  }

  /** The direction of the holder's last passage (today, with `resetDaily`), as of `now` (default: the clock). */
  presence(pseudonym: string, now = this.#clock.now()): GateDirection | undefined {
    const entry = this.#inside.get(pseudonym);
    if (entry === undefined) return undefined;
    if (this.#resetDaily && entry.day !== shanghaiDate(now)) {
      this.#inside.delete(pseudonym);
      return undefined;
    }
    return entry.direction;
  }

  /** Records a passage at `now` (default: the clock). */
  record(pseudonym: string, direction: GateDirection, now = this.#clock.now()): void {
    this.#inside.delete(pseudonym);
    this.#inside.set(pseudonym, { direction, day: shanghaiDate(now) });
    if (this.#inside.size > this.#max) {
      const oldest = this.#inside.keys().next().value;
      if (oldest !== undefined) this.#inside.delete(oldest);
    }
  }

  get size(): number {
    return this.#inside.size;
  }
}

/**
 * The anti-passback rule: someone inside (last passage an entry) may not enter again, and someone not
 * inside may not exit (which would let a second person in on one entry).
 */
export function allowsPassage(presence: GateDirection | undefined, direction: GateDirection): boolean {
  return direction === 'entry' ? presence !== 'entry' : presence === 'entry';
}
