import { EventEmitter } from 'node:events';
import {
  AA_BROADCAST_ADDRESS,
  AA_DEFAULT_GATE_ADDRESS,
  AA_DEFAULT_HOST_ADDRESS,
  type AaCommand,
  type AaCommandAction,
  AaFrameDecoder,
  AaGateStateCode,
  decodeAaCommand,
  encodeAaStatusReply,
} from '../../adapters/gate/aa-frame.js';
import type { Transport } from '../../adapters/transport/transport.js';
import { XinyiError } from '../../sdk/errors.js';
import type { GateAlarm } from '../../sdk/gate/gate.js';
import { DevicePort } from './device-port.js';
import { VirtualGateCore, type VirtualGateSnapshot, type VirtualGateTiming } from './virtual-gate-core.js';

export interface VirtualAaGateBoardOptions {
  /** The board's address: it answers status queries sent to it and obeys commands to it or to 00. @default 0x0B */
  address?: number;
  /** The barrier's mechanics (motion, passage, timeouts, alarm durations). */
  timing?: VirtualGateTiming;
  /** Time from a query's last byte to the reply. @default 2 */
  replyDelayMs?: number;
  /** How long the board reports its self-test state (FF) after power comes back. @default 100 */
  selfTestMs?: number;
  /**
   * Also answer every open/close command with a status reply, as some boards of this family seem to
   * (GZ-SpotGate2's `GateHelper.Open` reads a 16-byte frame after opening). Off, the board answers
   * status queries only.
   * @default false
   */
  replyToCommands?: boolean;
}

/** How many status replies a fault applies to. */
export interface VirtualAaGateFaultScope {
  /** A positive integer. @default 1 */
  times?: number;
  /** Applies to every reply until withdrawn; `times` is then ignored. @default false */
  persistent?: boolean;
}

/**
 * A misbehaviour applied to the next status replies (answers to queries, and to commands with
 * `replyToCommands`). Faults of different kinds combine on one reply.
 */
export type VirtualAaGateFault =
  /** Write `bytes` (default `00 FF 13 37 AA 00 A5 5A`: noise holding a false frame start) before the reply. */
  | ({ kind: 'garbage'; bytes?: Uint8Array } & VirtualAaGateFaultScope)
  /** Send the reply with its checksum inverted. */
  | ({ kind: 'bad-checksum' } & VirtualAaGateFaultScope)
  /** Stay mute: the query is heard (and commands still obeyed) but not answered. */
  | ({ kind: 'no-reply' } & VirtualAaGateFaultScope)
  /**
   * The board loses power instead of answering: the barrier stops where it is, the board goes dark
   * (hears nothing, answers nothing) and the `'unplug'` event fires, for the harness to disconnect
   * the link (`board.on('unplug', () => link.unplug())`; over UDP there is nothing to disconnect).
   * With `forMs`, power comes back that much later: the board runs its self-test (state FF, counters
   * kept), `'plug-in'` fires and the board reopens its end of the link.
   */
  | { kind: 'unplug'; forMs?: number };

export type VirtualAaGateFaultKind = VirtualAaGateFault['kind'];

/** What the board made of a frame it heard. */
export type VirtualAaGateFrameKind = AaCommandAction | 'not-addressed' | 'unknown' | 'invalid-frame';

export interface VirtualAaGateBoardEventMap {
  /** A frame was heard: the command it carried, or why it was ignored. */
  frame: [event: { kind: VirtualAaGateFrameKind; destination?: number }];
  /** A status reply was written: its state code, the bytes written and the faults applied. */
  reply: [event: { stateCode: number; bytes: number; faults: VirtualAaGateFaultKind[] }];
  /** An `unplug` fault fired: disconnect the link now (the device cannot do it itself). */
  unplug: [event: { forMs: number | undefined }];
  /** Power came back: plug the link back in; the board reopens its end right after the listeners return. */
  'plug-in': [];
}

/** Counters (a snapshot). */
export interface VirtualAaGateBoardStats {
  /** Frames heard, by what the board made of them (every kind present). */
  frames: Record<VirtualAaGateFrameKind, number>;
  repliesSent: number;
  /** Every byte written, garbage included. */
  bytesSent: number;
  faultsApplied: Record<VirtualAaGateFaultKind, number>;
}

const FRAME_KINDS: readonly VirtualAaGateFrameKind[] = [
  'entry-open',
  'entry-hold-open',
  'entry-close',
  'exit-open',
  'exit-hold-open',
  'exit-close',
  'query-status',
  'not-addressed',
  'unknown',
  'invalid-frame',
];
const FAULT_KINDS: readonly VirtualAaGateFaultKind[] = ['garbage', 'bad-checksum', 'no-reply', 'unplug'];
const DEFAULT_GARBAGE = Buffer.from('00ff1337aa00a55a', 'hex');

// A board that powers up has forgotten the alarms it was timing; fire, mains loss and the external
// input are conditions outside it and stay.
const TRANSIENT_ALARMS: readonly GateAlarm[] = [
  'tailgating',
  'reverse',
  'intrusion',
  'loitering',
  'anti-pinch',
];

// When several alarms hold at once the board can report one code; the most serious first.
const ALARM_CODES: ReadonlyArray<readonly [GateAlarm, number]> = [
  ['intrusion', AaGateStateCode.INTRUSION_ALARM],
  ['tailgating', AaGateStateCode.TAILGATING_ALARM],
  ['reverse', AaGateStateCode.REVERSE_ALARM],
  ['loitering', AaGateStateCode.LOITERING_ALARM],
  ['external', AaGateStateCode.EXTERNAL_ALARM],
];

/**
 * The state code a board reports for the barrier's snapshot (§3.2 A's table): FF during self-test;
 * 02 on mains loss; 01/04 on fire (closed/open); an alarm code while an alarm holds; otherwise the
 * motion: 00 closed, 0C/0D opening, 06/07 open for a passage (03 with no direction), 05 held open,
 * 08/09 closing (0A/0B when the anti-pinch sensor sees someone).
 */
export function aaStateCodeForSnapshot(snapshot: VirtualGateSnapshot): number {
  const { phase, direction, alarms } = snapshot;
  if (snapshot.selfTest) return AaGateStateCode.SELF_TEST;
  if (alarms.includes('power-loss')) return AaGateStateCode.CLOSED_POWER_LOSS;
  if (alarms.includes('fire')) {
    return phase === 'closed' ? AaGateStateCode.CLOSED_FIRE : AaGateStateCode.OPEN_FIRE;
  }
  for (const [alarm, code] of ALARM_CODES) if (alarms.includes(alarm)) return code;
  const exit = direction === 'exit';
  switch (phase) {
    case 'closed':
      return AaGateStateCode.CLOSED_IDLE;
    case 'opening':
      return exit ? AaGateStateCode.EXIT_OPENING : AaGateStateCode.ENTRY_OPENING;
    case 'open':
      if (snapshot.held) return AaGateStateCode.OPEN_MANUAL;
      if (direction === undefined) return AaGateStateCode.OPEN_IDLE;
      return exit ? AaGateStateCode.OPEN_EXIT : AaGateStateCode.OPEN_ENTRY;
    case 'closing':
      if (alarms.includes('anti-pinch')) {
        return exit ? AaGateStateCode.EXIT_CLOSING_ANTI_PINCH : AaGateStateCode.ENTRY_CLOSING_ANTI_PINCH;
      }
      return exit ? AaGateStateCode.EXIT_CLOSING : AaGateStateCode.ENTRY_CLOSING;
  }
}

interface QueuedFault {
  readonly fault: VirtualAaGateFault;
  remaining: number;
}

/**
 * The device side of an AA-frame gate board (docs/protocols.md §3.2 A) on any `Transport`: the
 * `device` end of `createMemoryLink()`, a PTY's device path, a connection of `startTcpDeviceServer`
 * or the transport of `startUdpDeviceServer`. It wraps a `VirtualGateCore` (`core`), which holds the
 * mechanics; tests and the control panel drive passages through it (`core.queueBehaviour('tailgate')`).
 *
 * - A status query (`FF 00`) addressed to the board is answered after `replyDelayMs` with the state
 *   code of the barrier at that moment (`aaStateCodeForSnapshot`) and both 24-bit counters. A query
 *   to the broadcast address is not answered (the reference: status cannot be broadcast).
 * - Open/close commands addressed to the board or to 00 are carried out at once. Exit-open with a
 *   count of 0 lets one person out.
 * - Frames with a bad checksum or length, unknown commands and frames for other addresses are
 *   ignored (counted in `stats.frames`).
 */
export class VirtualAaGateBoard extends EventEmitter<VirtualAaGateBoardEventMap> {
  /** The barrier's mechanics. */
  readonly core: VirtualGateCore;
  readonly address: number;
  readonly #replyDelayMs: number;
  readonly #selfTestMs: number;
  readonly #replyToCommands: boolean;
  readonly #decoder = new AaFrameDecoder();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #port = new DevicePort({
    onData: (chunk) => this.#onData(chunk),
    onClose: () => this.#abandon(),
    onPlugIn: () => this.#plugIn(),
  });
  #faults: QueuedFault[] = [];
  #powered = true;
  #powerTimer: NodeJS.Timeout | undefined;
  #session = 0;
  #stats: VirtualAaGateBoardStats = emptyStats();

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: VirtualAaGateBoardOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'VirtualAaGateBoard options must be an object when given');
    }
    const address = options.address ?? AA_DEFAULT_GATE_ADDRESS;
    if (!Number.isInteger(address) || address < 1 || address > 0xff) {
      throw invalidOption('address', 'an integer 1..255');
    }
    this.address = address;
    this.#replyDelayMs = delay('replyDelayMs', options.replyDelayMs, 2);
    this.#selfTestMs = delay('selfTestMs', options.selfTestMs, 100);
    if (options.replyToCommands !== undefined && typeof options.replyToCommands !== 'boolean') {
      throw invalidOption('replyToCommands', 'a boolean');
    }
    this.#replyToCommands = options.replyToCommands ?? false;
    this.core = new VirtualGateCore(options.timing);
  }

  /** The transport the board serves, or undefined. */
  get transport(): Transport | undefined {
    return this.#port.transport;
  }

  /** False between an `unplug` fault and power coming back. */
  get powered(): boolean {
    return this.#powered;
  }

  /** The state code a status reply would carry now. */
  get stateCode(): number {
    return aaStateCodeForSnapshot(this.core.snapshot());
  }

  /** A snapshot of the counters. */
  get stats(): VirtualAaGateBoardStats {
    return {
      ...this.#stats,
      frames: { ...this.#stats.frames },
      faultsApplied: { ...this.#stats.faultsApplied },
    };
  }

  /**
   * Starts serving the device side of a link. Like a board powered by its cable, it opens the
   * transport itself when it is closed, and again after its own `'plug-in'` event. After the link was
   * unplugged and plugged in from outside, or for a new TCP connection, call `attach` again.
   * @returns resolves (never rejects) true once the transport is open, false if it could not be opened.
   */
  attach(transport: Transport): Promise<boolean> {
    return this.#port.attach(transport);
  }

  /** Stops serving the current transport: unsent replies are dropped; a transport the board opened is closed. */
  detach(): void {
    if (this.#port.detach()) this.#abandon();
  }

  /** Detaches and stops the barrier's timers (the board is being thrown away). */
  dispose(): void {
    this.detach();
    clearTimeout(this.#powerTimer);
    this.#powerTimer = undefined;
    this.core.dispose();
  }

  /**
   * Queues a fault for the next status reply (or replies).
   * @returns a function that withdraws the fault if it has not been used up.
   * @throws XinyiError `INVALID_ARGUMENT` for an unknown kind or an out-of-range number.
   */
  injectFault(fault: VirtualAaGateFault): () => void {
    const queued = validateFault(fault);
    this.#faults.push(queued);
    return () => {
      this.#faults = this.#faults.filter((f) => f !== queued);
    };
  }

  /** Withdraws every queued fault. */
  clearFaults(): void {
    this.#faults = [];
  }

  #onData(chunk: Buffer): void {
    if (!this.#powered) return;
    for (const item of this.#decoder.push(chunk)) {
      if (item instanceof XinyiError) {
        this.#heard('invalid-frame');
        continue;
      }
      const command = decodeAaCommand(item);
      if (command === undefined) {
        this.#heard('unknown', item.destination);
        continue;
      }
      const forUs =
        item.destination === this.address ||
        (item.destination === AA_BROADCAST_ADDRESS && command.action !== 'query-status');
      if (!forUs) {
        this.#heard('not-addressed', item.destination);
        continue;
      }
      this.#heard(command.action, item.destination);
      if (command.action === 'query-status') {
        this.#scheduleReply(item.source);
        continue;
      }
      this.#execute(command);
      if (this.#replyToCommands) this.#scheduleReply(item.source);
    }
  }

  #heard(kind: VirtualAaGateFrameKind, destination?: number): void {
    this.#stats.frames[kind]++;
    this.emit('frame', destination === undefined ? { kind } : { kind, destination });
  }

  #execute(command: AaCommand): void {
    const core = this.core;
    switch (command.action) {
      case 'entry-open':
        core.open('entry', 1, false);
        break;
      case 'entry-hold-open':
        core.open('entry', 1, true);
        break;
      case 'entry-close':
        core.close('entry');
        break;
      case 'exit-open':
        core.open('exit', Math.max(1, command.count), false);
        break;
      case 'exit-hold-open':
        core.open('exit', 1, true);
        break;
      case 'exit-close':
        core.close('exit');
        break;
      case 'query-status':
        break;
    }
  }

  #scheduleReply(host: number): void {
    const session = this.#session;
    const faults = this.#takeFaults();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (session === this.#session) void this.#reply(session, host, faults);
    }, this.#replyDelayMs);
    this.#timers.add(timer);
  }

  async #reply(session: number, host: number, faults: VirtualAaGateFault[]): Promise<void> {
    const kinds = faults.map((f) => f.kind);
    for (const kind of kinds) this.#stats.faultsApplied[kind]++;
    const unplug = faults.find((f) => f.kind === 'unplug');
    if (unplug !== undefined) {
      this.#powerLoss(unplug.forMs);
      return;
    }
    if (kinds.includes('no-reply')) return;
    const snapshot = this.core.snapshot();
    const stateCode = aaStateCodeForSnapshot(snapshot);
    let frame = encodeAaStatusReply(
      { stateCode, entryCount: snapshot.entryCount, exitCount: snapshot.exitCount },
      { source: this.address, destination: host === AA_BROADCAST_ADDRESS ? AA_DEFAULT_HOST_ADDRESS : host },
    );
    if (kinds.includes('bad-checksum')) {
      frame = Buffer.from(frame);
      frame[15] = frame[15]! ^ 0xff;
    }
    const garbage = faults.find((f) => f.kind === 'garbage');
    const bytes = garbage !== undefined ? Buffer.concat([garbage.bytes ?? DEFAULT_GARBAGE, frame]) : frame;
    const transport = this.#port.transport;
    if (transport === undefined || session !== this.#session) return;
    try {
      await transport.write(bytes);
    } catch {
      // The host went away while the board answered: the reply is lost, as on a real wire.
      return;
    }
    this.#stats.repliesSent++;
    this.#stats.bytesSent += bytes.length;
    this.emit('reply', { stateCode, bytes: bytes.length, faults: kinds });
  }

  #powerLoss(forMs: number | undefined): void {
    this.#powered = false;
    this.#abandon();
    // The motor stops where it is; nothing the board was timing goes on.
    this.core.dispose();
    this.emit('unplug', { forMs });
    if (forMs === undefined) return;
    // Not `DevicePort.plugInAfter`: attaching a new transport meanwhile (the host reconnecting over
    // TCP while the board is dark) would cancel the power coming back.
    clearTimeout(this.#powerTimer);
    this.#powerTimer = setTimeout(() => {
      this.#powerTimer = undefined;
      this.#plugIn();
      void this.#port.powerOn();
    }, forMs);
  }

  #plugIn(): void {
    const active = this.core.snapshot().alarms;
    for (const alarm of TRANSIENT_ALARMS) if (active.includes(alarm)) this.core.clearAlarm(alarm);
    this.core.powerUp(this.#selfTestMs);
    this.#powered = true;
    this.emit('plug-in');
  }

  #abandon(): void {
    this.#session++;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#decoder.reset();
  }

  /** Takes the first queued fault of each kind, using it up. */
  #takeFaults(): VirtualAaGateFault[] {
    const taken: VirtualAaGateFault[] = [];
    const kinds = new Set<VirtualAaGateFaultKind>();
    for (const q of this.#faults) {
      if (kinds.has(q.fault.kind)) continue;
      kinds.add(q.fault.kind);
      taken.push(q.fault);
      if (!('persistent' in q.fault && q.fault.persistent === true)) q.remaining--;
    }
    this.#faults = this.#faults.filter((q) => q.remaining > 0);
    return taken;
  }
}

function emptyStats(): VirtualAaGateBoardStats {
  return {
    frames: Object.fromEntries(FRAME_KINDS.map((k) => [k, 0])) as Record<VirtualAaGateFrameKind, number>,
    repliesSent: 0,
    bytesSent: 0,
    faultsApplied: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
      VirtualAaGateFaultKind,
      number
    >,
  };
}

function delay(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw invalidOption(name, 'a finite number of ms ≥ 0');
  return value;
}

function invalidOption(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `VirtualAaGateBoard: ${option} must be ${expected}`, {
    details: { option },
  });
}

function validateFault(fault: VirtualAaGateFault): QueuedFault {
  const bad = (message: string, field: string) =>
    new XinyiError('INVALID_ARGUMENT', message, { details: { argument: `fault.${field}` } });
  if (fault === null || typeof fault !== 'object' || !FAULT_KINDS.includes(fault.kind)) {
    throw bad(`fault.kind must be one of ${FAULT_KINDS.join(', ')}`, 'kind');
  }
  if (fault.kind === 'unplug') {
    if (fault.forMs !== undefined && !(Number.isFinite(fault.forMs) && fault.forMs >= 0)) {
      throw bad('fault.forMs must be a finite number ≥ 0', 'forMs');
    }
    return { fault: { ...fault }, remaining: 1 };
  }
  const times = fault.times ?? 1;
  if (!Number.isInteger(times) || times < 1) throw bad('fault.times must be a positive integer', 'times');
  if (fault.kind === 'garbage' && fault.bytes !== undefined && !(fault.bytes instanceof Uint8Array)) {
    throw bad('fault.bytes must be a Uint8Array', 'bytes');
  }
  return { fault: { ...fault }, remaining: times };
}
