import type { AbortOptions } from '../../sdk/abort.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import {
  GATE_ALARMS,
  type Gate,
  type GateAlarm,
  type GateAlarmEvent,
  type GateDeviceState,
  type GateDirection,
  type GateOpenOptions,
  type GateStatus,
  type PassageEvent,
} from '../../sdk/gate/gate.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import { DeviceLink } from '../device-link.js';
import { type ReconnectPolicy, reconnectPolicy } from '../reconnect.js';

export interface GateDriverOptions {
  /** @default the protocol's name, e.g. `aa-gate` */
  name?: string;
  /** Status polling period; passages and alarms are seen at this pace. @default 100 */
  pollIntervalMs?: number;
  /** Consecutive unanswered polls after which the link is taken as lost and reopened. @default 3 */
  maxMissedPolls?: number;
  reconnect?: Partial<ReconnectPolicy>;
  logger?: Logger;
}

const DIRECTIONS: readonly GateDirection[] = ['entry', 'exit'];
const MOVING = new Set<GateStatus['state']>(['opening', 'open', 'closing']);

interface Pending {
  /** Persons the last open command let through that have not been counted yet. */
  persons: number;
  /** A status showed the barrier moving since the command. */
  moved: boolean;
  /** A reverse alarm came up during this opening. */
  reversed: boolean;
}

function checkedCount(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new XinyiError('INVALID_OPTIONS', `gate driver: ${name} must be an integer ≥ ${min}`);
  }
  return value;
}

/**
 * What every gate driver shares, whatever the board's protocol: the link's lifecycle and reconnect
 * (a `DeviceLink`), one command on the wire at a time, status polling, and turning successive statuses into passage
 * and alarm events (a counter that rose is a passage; an opening that closed with nothing counted
 * is `not-passed`, or `pushed-back` if a reverse alarm came up meanwhile).
 *
 * A protocol subclass implements the five link operations; it calls `linkLost()` when its link
 * drops underneath it.
 */
export abstract class GateDriverBase implements Gate {
  readonly name: string;
  protected readonly logger: Logger;
  readonly #pollIntervalMs: number;
  readonly #maxMissedPolls: number;
  /** The link's lifecycle; its generation ends the poll loop of an older period. */
  readonly #link: DeviceLink;
  readonly #passageListeners = new Set<(event: PassageEvent) => void>();
  readonly #alarmListeners = new Set<(event: GateAlarmEvent) => void>();
  readonly #pending: Record<GateDirection, Pending> = {
    entry: { persons: 0, moved: false, reversed: false },
    exit: { persons: 0, moved: false, reversed: false },
  };
  /** A request holds the link; commands waiting for it go before polls waiting for it. */
  #linkBusy = false;
  readonly #waitingCommands: Array<() => void> = [];
  readonly #waitingPolls: Array<() => void> = [];
  #last: GateStatus | undefined;
  #missedPolls = 0;

  protected constructor(defaultName: string, options: GateDriverOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', `${defaultName}: options must be an object`);
    }
    this.name = options.name ?? defaultName;
    this.#pollIntervalMs = checkedCount(options.pollIntervalMs, 'pollIntervalMs', 100, 1);
    this.#maxMissedPolls = checkedCount(options.maxMissedPolls, 'maxMissedPolls', 3, 1);
    this.logger = options.logger ?? silentLogger;
    this.#link = new DeviceLink({
      name: this.name,
      noun: 'driver',
      reconnect: reconnectPolicy(this.name, options.reconnect),
      logger: this.logger,
      hooks: {
        open: () => this.openLink(),
        // A board that cannot be told goodbye is gone anyway: the link is released either way.
        release: () => this.closeLink().catch(() => {}),
        ready: (generation) => void this.#pollLoop(generation),
        lost: (error) => this.logger.warn({ device: this.name, code: error.code }, 'gate link lost'),
      },
    });
  }

  /** Opens the link (rejects with `DEVICE_NOT_FOUND`); one request on the wire at a time, via `exclusive`. */
  protected abstract openLink(): Promise<void>;
  protected abstract closeLink(): Promise<void>;
  /** One status round trip. Rejects with `DEVICE_TIMEOUT` when the board does not answer. */
  protected abstract queryStatus(): Promise<GateStatus>;
  protected abstract sendOpen(direction: GateDirection, count: number, hold: boolean): Promise<void>;
  protected abstract sendClose(direction: GateDirection | undefined): Promise<void>;
  /**
   * False (the default): `sendOpen` and `sendClose` run holding the link, as one request. True for a
   * driver whose command is several requests with waits between them (a relay board's pulse train):
   * it takes the link itself for each request with `exclusive()`, so status polls go on during the
   * waits and no passage the board counts meanwhile is missed.
   */
  protected readonly commandsTakeTheLinkPerRequest: boolean = false;

  get deviceState(): GateDeviceState {
    return this.#link.state;
  }

  /** The last status polled, or undefined before the first. */
  get lastStatus(): GateStatus | undefined {
    return this.#last && { ...this.#last, alarms: [...this.#last.alarms] };
  }

  onPassage(listener: (event: PassageEvent) => void): () => void {
    this.#passageListeners.add(listener);
    return () => this.#passageListeners.delete(listener);
  }

  onAlarm(listener: (event: GateAlarmEvent) => void): () => void {
    this.#alarmListeners.add(listener);
    return () => this.#alarmListeners.delete(listener);
  }

  onState(listener: (state: GateDeviceState, reason?: string) => void): () => void {
    return this.#link.watch(listener);
  }

  /**
   * Opens the link and starts polling. Rejects with `DEVICE_NOT_FOUND` (or `DEVICE_BUSY`,
   * `DEVICE_PERMISSION_DENIED`) when the board cannot be reached (the driver returns to `closed`);
   * once connected, a lost link is reopened automatically. With `options.signal`, an abort before
   * the driver is `ready` disconnects it again and rejects with `ABORTED`.
   */
  connect(options?: AbortOptions): Promise<void> {
    return this.#link.open(options, `${this.name}.connect()`);
  }

  /**
   * Stops polling and releases the link. Safe to call at any time. The driver is `closed` at once;
   * `options.signal` only stops the wait for the link to be released (`ABORTED`).
   */
  disconnect(options?: AbortOptions): Promise<void> {
    return this.#link.close(options, `${this.name}.disconnect()`);
  }

  async open(direction: GateDirection, options: GateOpenOptions = {}): Promise<void> {
    if (direction !== 'entry' && direction !== 'exit') {
      throw new XinyiError('INVALID_ARGUMENT', `${this.name}.open(): direction must be 'entry' or 'exit'`);
    }
    const count = checkedCount(options.count, 'count', 1, 1);
    const hold = options.hold ?? false;
    const run = async () => {
      this.#assertReady();
      // Expected before the first request goes out: polls during a pulse train count against it.
      if (!hold) this.#pending[direction] = { persons: count, moved: false, reversed: false };
      try {
        await this.#command('open', () => this.sendOpen(direction, count, hold));
      } catch (error) {
        if (!hold) this.#pending[direction] = { persons: 0, moved: false, reversed: false };
        throw error;
      }
    };
    await (this.commandsTakeTheLinkPerRequest ? run() : this.exclusive(run));
  }

  async close(direction?: GateDirection): Promise<void> {
    const run = async () => {
      this.#assertReady();
      await this.#command('close', () => this.sendClose(direction));
    };
    await (this.commandsTakeTheLinkPerRequest ? run() : this.exclusive(run));
  }

  status(): Promise<GateStatus> {
    return this.exclusive(async () => {
      this.#assertReady();
      const status = await this.queryStatus();
      this.#absorb(status);
      return status;
    }, 'poll');
  }

  /**
   * Runs `task` holding the link: a board handles one request at a time. Tasks wait in two lines:
   * commands (`'command'`, the default) go before every waiting status poll (`'poll'`), so an open
   * waits at most for the one request already on the wire.
   */
  protected exclusive<T>(task: () => Promise<T>, lane: 'command' | 'poll' = 'command'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        this.#linkBusy = true;
        let pending: Promise<T>;
        try {
          pending = task();
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(resolve, reject).finally(() => {
          this.#linkBusy = false;
          (this.#waitingCommands.shift() ?? this.#waitingPolls.shift())?.();
        });
      };
      if (!this.#linkBusy) run();
      else (lane === 'command' ? this.#waitingCommands : this.#waitingPolls).push(run);
    });
  }

  /** The link dropped underneath the driver (a subclass's transport closed): reconnect in the background. */
  protected linkLost(error: XinyiError): void {
    this.#link.lost(error);
  }

  #assertReady(): void {
    const state = this.#link.state;
    if (state !== 'ready') throw new XinyiError('CLOSED', `${this.name} is ${state}`);
  }

  async #command(what: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (isXinyiError(error)) throw error;
      throw new XinyiError('GATE_COMMAND_FAILED', `${this.name}: ${what} command failed`, { cause: error });
    }
  }

  async #pollLoop(generation: number): Promise<void> {
    while (this.#link.isCurrent(generation)) {
      try {
        const status = await this.exclusive(() => {
          if (!this.#link.isCurrent(generation)) return Promise.resolve(undefined);
          return this.queryStatus();
        }, 'poll');
        if (status === undefined || !this.#link.isCurrent(generation)) return;
        this.#missedPolls = 0;
        this.#absorb(status);
      } catch (error) {
        if (!this.#link.isCurrent(generation)) return;
        const code = isXinyiError(error) ? error.code : 'unknown';
        if (code === 'DEVICE_DISCONNECTED' || ++this.#missedPolls >= this.#maxMissedPolls) {
          this.#missedPolls = 0;
          this.linkLost(
            isXinyiError(error)
              ? error
              : new XinyiError('DEVICE_DISCONNECTED', `${this.name}: status poll failed`, { cause: error }),
          );
          return;
        }
        this.logger.debug({ device: this.name, code }, 'gate status poll failed');
      }
      await this.#link.sleep(this.#pollIntervalMs);
    }
  }

  /** Turns the difference between the last status and this one into events. */
  #absorb(next: GateStatus): void {
    const previous = this.#last;
    this.#last = { ...next, alarms: [...next.alarms] };
    const at = new Date().toISOString();
    if (previous === undefined) {
      // The first status since connect: its counters are the baseline, but an alarm already on
      // (a fire contact made before the terminal started) is news to every listener.
      for (const alarm of GATE_ALARMS) if (next.alarms.includes(alarm)) this.#emitAlarm(alarm, true, at);
      return;
    }

    const started = GATE_ALARMS.filter((a) => next.alarms.includes(a) && !previous.alarms.includes(a));
    const ended = GATE_ALARMS.filter((a) => previous.alarms.includes(a) && !next.alarms.includes(a));
    for (const direction of DIRECTIONS) {
      const pending = this.#pending[direction];
      if (pending.persons > 0 && started.includes('reverse')) pending.reversed = true;
    }
    for (const alarm of started) this.#emitAlarm(alarm, true, at);
    for (const alarm of ended) this.#emitAlarm(alarm, false, at);

    for (const direction of DIRECTIONS) {
      const key = direction === 'entry' ? 'entryCount' : 'exitCount';
      const passed = this.#counterDelta(previous[key], next[key]);
      const pending = this.#pending[direction];
      if (passed > 0) {
        pending.persons = Math.max(0, pending.persons - passed);
        if (pending.persons === 0) pending.reversed = false;
        this.#emitPassage({ kind: 'passed', direction, count: passed, at });
      }
      if (pending.persons === 0) continue;
      if (MOVING.has(next.state)) pending.moved = true;
      else if (pending.moved && next.state === 'closed') {
        const kind = pending.reversed ? 'pushed-back' : 'not-passed';
        this.#pending[direction] = { persons: 0, moved: false, reversed: false };
        this.#emitPassage({ kind, direction, at });
      }
    }
  }

  /**
   * Persons counted between two readings. A board's counters wrap at their width; a counter that
   * went down by more than half the range was reset (power loss, a reset command), not advanced.
   */
  #counterDelta(before: number, after: number): number {
    if (after === before) return 0;
    const modulus = 2 ** 24;
    const delta = (after - before + modulus) % modulus;
    return delta < modulus / 2 ? delta : 0;
  }

  #emitPassage(event: PassageEvent): void {
    this.logger.debug({ device: this.name, passage: event.kind, direction: event.direction }, 'gate passage');
    for (const listener of [...this.#passageListeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ device: this.name, err: String(error) }, 'passage listener threw');
      }
    }
  }

  #emitAlarm(alarm: GateAlarm, active: boolean, at: string): void {
    this.logger.debug({ device: this.name, alarm, active }, 'gate alarm');
    for (const listener of [...this.#alarmListeners]) {
      try {
        listener({ alarm, active, at });
      } catch (error) {
        this.logger.error({ device: this.name, err: String(error) }, 'alarm listener threw');
      }
    }
  }
}
