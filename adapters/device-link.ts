import { type AbortOptions, abortedError, signalOf, untilAborted } from '../sdk/abort.js';
import { isXinyiError, XinyiError } from '../sdk/errors.js';
import type { Logger } from '../sdk/logger.js';
import { deviceOpenError } from './device-open-error.js';
import { type ReconnectPolicy, reopenWithBackoff, Sleeper } from './reconnect.js';
import type { Transport, TransportCloseReason } from './transport/transport.js';

/**
 * The life of every device link: `closed → opening → ready`; a lost link is `reconnecting` and back
 * to `ready` once reopened; `faulted` when reopening gives up or the device refuses to work. A
 * driver may add states of its own inside `ready` (the ID-card reader's `reading`).
 */
export type DeviceLinkState = 'closed' | 'opening' | 'ready' | 'reconnecting' | 'faulted';

/** What a driver plugs into its `DeviceLink`: the device's own opening and closing, and its reactions. */
export interface DeviceLinkHooks {
  /**
   * Opens the device once: the first time and at every reopening. `generation` is the link's period
   * it opens for (see `DeviceLink.bind`). Rejects when the device cannot be opened; an error that is
   * not an `XinyiError` is translated by `deviceOpenError` (busy, permission, not found).
   */
  open(generation: number): Promise<void>;
  /**
   * Releases the device: on `close()`, before reopening a lost link, and when `close()` overtook an
   * `open()` that then succeeded. Called again on a released device, it must do nothing.
   */
  release(): Promise<void>;
  /** After each successful opening, before `ready`: let stale bytes pass, reset per-period state. */
  prepare?(generation: number): Promise<void>;
  /** Each time the link becomes `ready` (first open and every reopening): start a poll loop. */
  ready?(generation: number): void;
  /** The link was lost (the period already ended): fail commands in flight, forget half frames, tell listeners. */
  lost?(error: XinyiError): void;
  /** `close()` ran (the period already ended; the device is released next). */
  closing?(): void;
  /** A lost link was reopened (before `prepare`). */
  reopened?(): void;
  /** Reopening gave up after `attempts` (the link goes `faulted` next). */
  gaveUp?(attempts: number): void;
}

export interface DeviceLinkOptions<S extends string> {
  /** The driver's name, in messages and logs. */
  name: string;
  /** What the device is called in messages: `reader`, `scanner`, `driver`. */
  noun: string;
  /** What is opened, for open errors: `() => transport.description`. @default 'link' */
  target?: () => string;
  reconnect: ReconnectPolicy;
  logger: Logger;
  /**
   * Every state change, before the `watch` listeners: with the error code that caused it for
   * `reconnecting` (the loss's) and for a give-up's `faulted` (`DEVICE_DISCONNECTED`).
   */
  onState?(next: DeviceLinkState | S, previous: DeviceLinkState | S, reason?: string): void;
  hooks: DeviceLinkHooks;
}

/**
 * The lifecycle every device driver shares, so a driver keeps only its protocol: a typed state, a
 * generation counter that ends a period (a callback or loop of an older period finds itself stale),
 * `open()` with the open-error mapping and an `AbortSignal`, reopening with backoff after a loss
 * (`reopenWithBackoff`, on the shared retry loop), and `close()` that ends the period and wakes every
 * wait (`sleep`) at once. `Extra` names states a driver adds (`'reading'`).
 */
export class DeviceLink<Extra extends string = never> {
  readonly #name: string;
  readonly #noun: string;
  readonly #target: () => string;
  readonly #reconnect: ReconnectPolicy;
  readonly #logger: Logger;
  readonly #onState: DeviceLinkOptions<Extra>['onState'];
  readonly #watchers = new Set<(state: DeviceLinkState | Extra, reason?: string) => void>();
  readonly #hooks: DeviceLinkHooks;
  readonly #sleeper = new Sleeper();
  #state: DeviceLinkState | Extra = 'closed';
  #generation = 0;

  constructor(options: DeviceLinkOptions<Extra>) {
    this.#name = options.name;
    this.#noun = options.noun;
    this.#target = options.target ?? (() => 'link');
    this.#reconnect = options.reconnect;
    this.#logger = options.logger;
    this.#onState = options.onState;
    this.#hooks = options.hooks;
  }

  get state(): DeviceLinkState | Extra {
    return this.#state;
  }

  /** The current period: bumped by every loss, close and fault. */
  get generation(): number {
    return this.#generation;
  }

  /** True while `generation` is the current period: a loop of an older one stops. */
  isCurrent(generation: number): boolean {
    return this.#generation === generation;
  }

  /**
   * Wraps a callback of a handle opened for period `generation` (what the `open` hook was given):
   * once that period ends (a loss, a close), the dead handle's late events do nothing.
   */
  bind<A extends unknown[]>(generation: number, callback: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      if (this.#generation === generation) callback(...args);
    };
  }

  /** Resolves after `ms`, or at once when the link is closed. */
  sleep(ms: number): Promise<void> {
    return this.#sleeper.sleep(ms);
  }

  /**
   * Calls `listener` on every state change, with the reason `onState` gets (a driver's
   * `onState(listener)` for `terminal.attach`); returns a function that unsubscribes.
   */
  watch(listener: (state: DeviceLinkState | Extra, reason?: string) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  /**
   * `CredentialSource.onState` of a reader or scanner: every state change, with the loss's error
   * code on `reconnecting` only (the reason its `disconnect` event carries).
   */
  watchAsSource(listener: (state: string, reason?: string) => void): () => void {
    return this.watch((state, reason) => listener(state, state === 'reconnecting' ? reason : undefined));
  }

  /** A state change of the driver's own (`reading` and back to `ready`). */
  setState(next: DeviceLinkState | Extra, reason?: string): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#onState?.(next, previous, reason);
    for (const listener of [...this.#watchers]) listener(next, reason);
  }

  /**
   * Opens the device (`call` names the method in messages: `IdCardReader.open()`). Rejects with
   * `INVALID_ARGUMENT` unless `closed`, with the open error (back to `closed`) when the device cannot
   * be opened, and with `ABORTED` when `options.signal` fires before the link is `ready` (the link
   * is closed again). Resolves once `ready`.
   */
  async open(options: AbortOptions | undefined, call: string): Promise<void> {
    const signal = signalOf(options, call);
    if (signal?.aborted) throw abortedError(signal, call);
    if (this.#state !== 'closed') {
      throw new XinyiError('INVALID_ARGUMENT', `${call}: ${this.#noun} is ${this.#state}`);
    }
    const generation = ++this.#generation;
    this.setState('opening');
    const onAbort = () => void this.close().catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        await this.#hooks.open(generation);
      } catch (error) {
        if (this.#generation === generation) this.setState('closed');
        if (signal?.aborted) throw abortedError(signal, call);
        throw isXinyiError(error) ? error : deviceOpenError(this.#name, this.#target(), error);
      }
      if (this.#generation === generation) await this.#start(generation);
      else if (this.#state === 'closed') {
        // close() ran while the device was opening, and released it before it was open: release it now.
        await this.#hooks.release().catch(() => {});
      }
      if (signal?.aborted) throw abortedError(signal, call);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Ends the period, wakes every wait, and releases the device. Safe at any time. The link is
   * `closed` at once; `options.signal` only stops the wait for the release (`ABORTED`).
   */
  async close(options?: AbortOptions, call = 'close()'): Promise<void> {
    const signal = signalOf(options, call);
    if (this.#state === 'closed') return;
    this.#generation++;
    this.setState('closed');
    this.#sleeper.wakeAll();
    this.#hooks.closing?.();
    await untilAborted(this.#hooks.release(), signal, call);
  }

  /**
   * The device went away underneath the driver: ends the period and reopens with backoff in the
   * background (`reconnecting`, then `ready` or `faulted`). Ignored once closed.
   */
  lost(error: XinyiError): void {
    if (this.#state === 'closed') return;
    const generation = ++this.#generation;
    this.#hooks.lost?.(error);
    this.setState('reconnecting', error.code);
    void this.#reopen(generation);
  }

  /** The device refuses to work (a SAM that fails its self-test): ends the period, `faulted`. */
  fault(): void {
    this.#generation++;
    this.setState('faulted');
  }

  /** `prepare`, then `ready` and the driver's `ready` hook, unless the period ended meanwhile. */
  async #start(generation: number): Promise<void> {
    // Without a prepare step, `ready` follows the opening in the same tick.
    if (this.#hooks.prepare) await this.#hooks.prepare(generation);
    if (this.#generation !== generation) return;
    this.setState('ready');
    this.#hooks.ready?.(generation);
  }

  async #reopen(generation: number): Promise<void> {
    await this.#hooks.release().catch(() => {});
    if (this.#generation !== generation) return;
    let opened = false;
    const reopened = await reopenWithBackoff(
      async () => {
        await this.#hooks.open(generation);
        opened = true;
      },
      this.#reconnect,
      (ms) => this.#sleeper.sleep(ms),
      () => this.#generation === generation,
      (attempt, error) =>
        this.#logger.debug(
          { device: this.#name, attempt, code: isXinyiError(error) ? error.code : 'unknown' },
          'reopen failed',
        ),
    );
    if (this.#generation !== generation) {
      // close() ran while the device was reopening, and released it before it was open: release it now.
      if (opened && this.#state === 'closed') await this.#hooks.release().catch(() => {});
      return;
    }
    if (!reopened) {
      this.#hooks.gaveUp?.(this.#reconnect.maxAttempts);
      this.setState('faulted', 'DEVICE_DISCONNECTED');
      return;
    }
    this.#hooks.reopened?.();
    await this.#start(generation);
  }
}

/**
 * A driver's `data` and `close` listeners on its transport, attached while it holds the transport
 * open: `open()` attaches them before opening (no byte is missed) and detaches them again when the
 * transport cannot be opened; `release()` detaches them and closes the transport. A `close` with
 * `{ kind: 'disconnected' }` is handed to `lost`.
 */
export class TransportListeners {
  readonly #transport: Transport;
  readonly #data: (chunk: Buffer) => void;
  readonly #lost: (error: XinyiError) => void;
  #attached = false;

  constructor(transport: Transport, handlers: { data(chunk: Buffer): void; lost(error: XinyiError): void }) {
    this.#transport = transport;
    this.#data = handlers.data;
    this.#lost = handlers.lost;
  }

  async open(): Promise<void> {
    this.attach();
    try {
      await this.#transport.open();
    } catch (error) {
      this.detach();
      throw error;
    }
  }

  /** Detaches at once, then closes the transport. */
  release(): Promise<void> {
    this.detach();
    return this.#transport.close();
  }

  attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#transport.on('data', this.#onData);
    this.#transport.on('close', this.#onClose);
  }

  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.#transport.off('data', this.#onData);
    this.#transport.off('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => this.#data(chunk);

  readonly #onClose = (reason: TransportCloseReason): void => {
    if (reason.kind === 'disconnected') this.#lost(reason.error);
  };
}
