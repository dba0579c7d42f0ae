import { XinyiError } from '../../sdk/errors.js';

/** One event of `xinyi serve`'s stream: numbered in the order it happened, from 1. */
export interface ServeEvent {
  seq: number;
  /** `credential`, `decision`, `use-confirmed`, `override`, `device`, `alarm`. */
  type: string;
  /** ISO time the service recorded it. */
  at: string;
  data: Record<string, unknown>;
}

/**
 * The last `capacity` events, numbered, for clients that reconnect: `since(seq)` gives what came after
 * `seq`, or `EVENTS_GAP` when some of it has already been dropped (the client must re-read state).
 * Sequence numbers restart at 1 with the process; `epoch` tells a client that they did.
 */
export class EventLog {
  readonly #capacity: number;
  readonly #ring: (ServeEvent | undefined)[];
  readonly #listeners = new Set<(event: ServeEvent) => void>();
  readonly #now: () => number;
  #lastSeq = 0;
  /** Identifies this process's numbering: a client holding another epoch's sequence starts over. */
  readonly epoch: string;

  constructor(options: { capacity: number; epoch: string; now: () => number }) {
    this.#capacity = options.capacity;
    this.#ring = new Array(options.capacity);
    this.epoch = options.epoch;
    this.#now = options.now;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The oldest sequence number still held (lastSeq + 1 when none is). */
  get oldestSeq(): number {
    return Math.max(1, this.#lastSeq - this.#capacity + 1);
  }

  append(type: string, data: Record<string, unknown>): ServeEvent {
    const event: ServeEvent = { seq: ++this.#lastSeq, type, at: new Date(this.#now()).toISOString(), data };
    this.#ring[event.seq % this.#capacity] = event;
    for (const listener of this.#listeners) listener(event);
    return event;
  }

  /** Events after `seq`, oldest first; `EVENTS_GAP` when an event after `seq` is no longer held. */
  since(seq: number): ServeEvent[] {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new XinyiError('INVALID_ARGUMENT', 'since: must be a sequence number (an integer, 0 or more)', {
        details: { field: 'since' },
      });
    }
    // Beyond the last: numbers from before a restart. Behind the oldest: dropped from the ring.
    if (seq > this.#lastSeq || seq + 1 < this.oldestSeq) {
      throw new XinyiError(
        'EVENTS_GAP',
        `events after ${seq} are not held (oldest ${this.oldestSeq}, last ${this.#lastSeq}): read the state again and resume from the last`,
        { details: { oldestSeq: this.oldestSeq, lastSeq: this.#lastSeq } },
      );
    }
    const events: ServeEvent[] = [];
    for (let s = seq + 1; s <= this.#lastSeq; s++) events.push(this.#ring[s % this.#capacity]!);
    return events;
  }

  subscribe(listener: (event: ServeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
