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
 * entry). Share one instance between the entry and the exit lane's `GateController`.
 * Keyed by pseudonym; kept in memory.
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
    const last = this.#current(pseudonym);
    if (direction === 'entry') return last !== 'entry';
    return last === 'entry';
  }

  /** Records a confirmed passage. */
  passed(pseudonym: string, direction: GateDirection): void {
    this.#inside.delete(pseudonym);
    this.#inside.set(pseudonym, { direction, day: this.#today() });
    if (this.#inside.size > this.#max) {
      const oldest = this.#inside.keys().next().value;
      if (oldest !== undefined) this.#inside.delete(oldest);
    }
  }

  get size(): number {
    return this.#inside.size;
  }

  #current(pseudonym: string): GateDirection | undefined {
    const entry = this.#inside.get(pseudonym);
    if (entry === undefined) return undefined;
    if (this.#resetDaily && entry.day !== this.#today()) {
      this.#inside.delete(pseudonym);
      return undefined;
    }
    return entry.direction;
  }

  #today(): string {
    return shanghaiDate(this.#clock.now());
  }
}
