/**
 * A turnstile, flap barrier, swing gate or the relay board that pulses one. Drivers for each board
 * protocol live in `xinyi-terminal/adapters`; the `GateController` here turns decisions into
 * openings and passages into used benefits, whatever the board.
 */
import type { AbortOptions } from '../abort.js';

export type GateDirection = 'entry' | 'exit';

/**
 * The barrier's state as the board reports it. `alarm` while an alarm holds the gate; `self-test`
 * while the board powers up; `unknown` before the first status or when the board cannot tell.
 */
export type GateState = 'closed' | 'opening' | 'open' | 'closing' | 'alarm' | 'self-test' | 'unknown';

/** Alarms a board reports (docs/protocols.md §3.2 A's state table, §3.4). */
export type GateAlarm =
  | 'tailgating'
  | 'reverse'
  | 'intrusion'
  | 'loitering'
  | 'fire'
  | 'power-loss'
  | 'anti-pinch'
  | 'external';

export const GATE_ALARMS: readonly GateAlarm[] = [
  'tailgating',
  'reverse',
  'intrusion',
  'loitering',
  'fire',
  'power-loss',
  'anti-pinch',
  'external',
];

export interface GateStatus {
  state: GateState;
  /** Which way the barrier is open or moving, when the board says. */
  direction?: GateDirection;
  /** Held open (always-open / fire mode / manual) rather than open for a count of persons. */
  held?: boolean;
  /** The board's own passage counters (they wrap at the board's width, e.g. 2^24). */
  entryCount: number;
  exitCount: number;
  /** Alarms active now. */
  alarms: GateAlarm[];
  /** The board's raw state code, for diagnostics (e.g. `0x62`). */
  rawState?: number;
}

/**
 * What the board saw after an opening: someone passed (`count` persons, more than one when a second
 * person followed), nobody passed before the board's own timeout, or the person pushed back out.
 */
export type PassageEvent =
  | { kind: 'passed'; direction: GateDirection; count: number; at: string }
  | { kind: 'not-passed'; direction: GateDirection; at: string }
  | { kind: 'pushed-back'; direction: GateDirection; at: string };

export interface GateAlarmEvent {
  alarm: GateAlarm;
  /** true when the alarm started, false when it cleared. */
  active: boolean;
  at: string;
}

export interface GateOpenOptions {
  /** Persons allowed through (boards that count; others open once). @default 1 */
  count?: number;
  /** Hold the gate open until `close()` (always-open), instead of letting it close after the passage. */
  hold?: boolean;
}

/** The device state of a gate driver, as for the other devices. */
export type GateDeviceState = 'closed' | 'opening' | 'ready' | 'reconnecting' | 'faulted';

export interface Gate {
  /** Used in `device` events, logs and metrics. */
  readonly name: string;
  /** The driver's link state. */
  readonly deviceState: GateDeviceState;
  /**
   * Opens the link to the board (and keeps it open, reconnecting on loss) until `disconnect()`. With
   * `options.signal`, an abort before the link is `ready` disconnects again and rejects with `ABORTED`.
   */
  connect(options?: AbortOptions): Promise<void>;
  /** Releases the link; the driver is `closed` at once, `options.signal` only stops the wait (`ABORTED`). */
  disconnect(options?: AbortOptions): Promise<void>;
  /** Opens the barrier. Rejects with a typed error (`GATE_COMMAND_FAILED`, `DEVICE_TIMEOUT`, `DEVICE_DISCONNECTED`). */
  open(direction: GateDirection, options?: GateOpenOptions): Promise<void>;
  /** Closes the barrier (or returns a held gate to normal); without a direction, both ways. */
  close(direction?: GateDirection): Promise<void>;
  /** Asks the board for its state, counters and alarms. */
  status(): Promise<GateStatus>;
  onPassage(listener: (event: PassageEvent) => void): () => void;
  onAlarm(listener: (event: GateAlarmEvent) => void): () => void;
  /** Device state changes (`ready`, `reconnecting`, …), as `CredentialSource.onState`. */
  onState(listener: (state: GateDeviceState, reason?: string) => void): () => void;
}
