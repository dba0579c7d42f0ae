// What the virtual scanners share: the fault scope and queue, cancellable sleeps, and option checks.
import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';

/** How many scans a fault applies to. */
export interface ScannerFaultScope {
  /** Number of scans the fault applies to. @default 1 */
  times?: number;
  /** Applies to every scan until withdrawn; `times` is then ignored. @default false */
  persistent?: boolean;
}

/** setTimeout-based sleeps that can all be cancelled at once (power loss, detach). */
export class Clock {
  #epoch = 0;
  readonly #pending = new Map<ReturnType<typeof setTimeout>, (value: boolean) => void>();

  get epoch(): number {
    return this.#epoch;
  }

  /** Resolves true after `ms`, or false if cancelled first (or if `epoch` is already stale). */
  sleep(ms: number, epoch: number): Promise<boolean> {
    if (epoch !== this.#epoch) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        resolve(epoch === this.#epoch);
      }, ms);
      this.#pending.set(timer, resolve);
    });
  }

  cancelAll(): void {
    this.#epoch++;
    for (const [timer, resolve] of this.#pending) {
      clearTimeout(timer);
      resolve(false);
    }
    this.#pending.clear();
  }
}

interface Queued<F> {
  readonly fault: F;
  remaining: number;
}

/**
 * The faults queued for a virtual scanner's next scans, and the rules both scanners follow: a fault
 * applies to `times` scans (or every scan while `persistent`), and of several queued faults of one
 * kind only the first applies to a scan (faults of one kind do not combine).
 */
export class FaultQueue<F extends { kind: string } & ScannerFaultScope> {
  readonly #kinds: readonly F['kind'][];
  readonly #validate: (fault: F) => void;
  #queue: Array<Queued<F>> = [];

  /** `validate` checks the fields of one kind (throws `INVALID_ARGUMENT`); kind and scope are checked here. */
  constructor(kinds: readonly F['kind'][], validate: (fault: F) => void) {
    this.#kinds = kinds;
    this.#validate = validate;
  }

  /**
   * Queues a copy of `fault` for the next scan(s); returns a function that withdraws it if it has
   * not been used up. Throws `INVALID_ARGUMENT` for an unknown kind or a malformed field.
   */
  inject(fault: F): () => void {
    if (fault === null || typeof fault !== 'object' || !this.#kinds.includes(fault.kind)) {
      throw invalid('argument', 'fault.kind', `fault.kind must be one of ${this.#kinds.join(', ')}`);
    }
    const times = validateScope(fault);
    this.#validate(fault);
    const queued: Queued<F> = { fault: { ...fault }, remaining: times };
    this.#queue.push(queued);
    return () => {
      this.#queue = this.#queue.filter((q) => q !== queued);
    };
  }

  clear(): void {
    this.#queue = [];
  }

  /** The faults the next scan gets (the first queued of each kind), not yet counted as used. */
  next(): F[] {
    return this.#select().map((q) => q.fault);
  }

  /** The faults the next scan gets, counted as used: a fault used up leaves the queue. */
  take(): F[] {
    const selected = this.#select();
    for (const q of selected) if (q.fault.persistent !== true) q.remaining--;
    this.#queue = this.#queue.filter((q) => q.remaining > 0);
    return selected.map((q) => q.fault);
  }

  #select(): Array<Queued<F>> {
    const selected: Array<Queued<F>> = [];
    const kinds = new Set<string>();
    for (const q of this.#queue) {
      if (kinds.has(q.fault.kind)) continue;
      kinds.add(q.fault.kind);
      selected.push(q);
    }
    return selected;
  }
}

export function toBytes(data: number[] | Buffer): Buffer {
  if (Buffer.isBuffer(data)) return Buffer.from(data);
  if (Array.isArray(data)) return Buffer.from(data.map((v) => Number(v) & 0xff));
  throw new TypeError('Expected an array or a Buffer');
}

export type Kind = 'option' | 'argument';

export function invalid(kind: Kind, name: string, message: string): XinyiError {
  return kind === 'option'
    ? new XinyiError(XinyiErrorCode.INVALID_OPTIONS, message, { details: { option: name } })
    : new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, message, { details: { argument: name } });
}

export function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
  kind: Kind,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    throw invalid(kind, name, `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function bool(name: string, value: unknown, fallback: boolean, kind: Kind): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(kind, name, `${name} must be a boolean`);
  return value;
}

export function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid('option', name, `${name} must be an integer ${min}..${max}`);
  }
  return value as number;
}

export function nonNegative(name: string, value: unknown, fallback: number, kind: Kind): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(kind, name, `${name} must be a finite number ≥ 0`);
  }
  return value;
}

export function str(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0)
    throw invalid('option', name, `${name} must be a non-empty string`);
  return value;
}

function validateScope(fault: ScannerFaultScope): number {
  const times = fault.times ?? 1;
  if (!Number.isInteger(times) || times < 1)
    throw invalid('argument', 'fault.times', 'fault.times must be a positive integer');
  if (fault.persistent !== undefined && typeof fault.persistent !== 'boolean') {
    throw invalid('argument', 'fault.persistent', 'fault.persistent must be a boolean');
  }
  return times;
}
