import { EventEmitter } from 'node:events';
import {
  DEFAULT_FLAP_DIRECTIONS,
  encodeFlapReply,
  FLAP_DEFAULT_MACHINE,
  FLAP_RESET_DEVICE_KEY,
  type FlapChecksumRule,
  FlapCommand,
  FlapCommandDecoder,
  type FlapCommandFrame,
  type FlapDirections,
  type FlapSide,
  flapCodesForStatus,
  resolveFlapDirections,
} from '../../adapters/gate/flap-7e.js';
import type { Transport } from '../../adapters/transport/transport.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { GateStatus } from '../../sdk/gate/gate.js';
import { DevicePort } from './device-port.js';
import { VirtualGateCore, type VirtualGateSnapshot, type VirtualGateTiming } from './virtual-gate-core.js';

export interface VirtualFlapGateBoardOptions {
  /** The board's bus address; frames for other machines are ignored. @default 1 */
  machine?: number;
  /** The reply's `ver` byte. @default 1 */
  version?: number;
  /** The mechanics to drive; a new core with `timing` when absent. */
  core?: VirtualGateCore;
  timing?: VirtualGateTiming;
  /** Which way each side is. @default { left: 'entry', right: 'exit' } */
  directions?: FlapDirections;
  /**
   * Answer every command, not only the query, with a status reply (whether real boards do is
   * unconfirmed; the driver copes either way). @default true
   */
  replyToCommands?: boolean;
  /** Self-test time after a reset or a power loss. @default 100 */
  selfTestMs?: number;
  /** @default 'not-sum' */
  replyChecksum?: FlapChecksumRule;
}

/** A misbehaviour to rehearse. */
export type VirtualFlapGateFault =
  /** Write `bytes` (default `00 FF 13 37 7F A5 5A`: noise holding a false reply head) before the next `times` replies (default 1). */
  | { kind: 'garbage'; bytes?: Uint8Array; times?: number }
  /** Leave the next `queries` status queries (default 1) unanswered; commands are still carried out. */
  | { kind: 'mute'; queries?: number }
  /**
   * At the next frame received, lose power instead of handling it (`powerLoss(forMs)`): the
   * `'unplug'` event fires for the harness to pull the link.
   */
  | { kind: 'unplug'; forMs?: number };

export type VirtualFlapGateFaultKind = VirtualFlapGateFault['kind'];

export interface VirtualFlapGateStats {
  queries: number;
  /** Commands other than the query addressed to this board. */
  commands: number;
  /** Opening commands refused because their direction is forbidden. */
  refused: number;
  /** Frames with a bad checksum, or for another machine. */
  ignored: number;
  replies: number;
  faultsApplied: Record<VirtualFlapGateFaultKind, number>;
}

export interface VirtualFlapGateBoardEventMap {
  /** A frame for this board was handled (`executed` false: refused or unknown). */
  command: [event: { cmd: number; d0: number; d1: number; d2: number; executed: boolean }];
  /** Power lost: disconnect the link now (the board cannot do it itself). */
  unplug: [event: { forMs: number | undefined }];
  /** The `forMs` of a power loss elapsed: plug the link back in; the board then reopens its end and self-tests. */
  'plug-in': [];
}

const DEFAULT_GARBAGE = Uint8Array.from([0x00, 0xff, 0x13, 0x37, 0x7f, 0xa5, 0x5a]);
/** Supply voltage byte of the simulated board (24 V), for realism only. */
const VCC = 24;

interface PendingFaults {
  garbage: Array<{ bytes: Uint8Array; remaining: number }>;
  muted: number;
  unplug: { forMs: number | undefined } | undefined;
}

function byteOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new XinyiError('INVALID_OPTIONS', `virtual flap gate: ${name} must be an integer 0..255`, {
      details: { option: name },
    });
  }
  return value;
}

function positiveCount(name: string, value: number | undefined): number {
  if (value === undefined) return 1;
  if (!Number.isInteger(value) || value < 1) {
    throw new XinyiError('INVALID_ARGUMENT', `virtual flap gate fault: ${name} must be a positive integer`, {
      details: { argument: name },
    });
  }
  return value;
}

/**
 * The board end of a 7E/7F flap/swing-barrier main board (docs/protocols.md §3.2 B): decodes
 * commands from its transport, drives a `VirtualGateCore` and answers 0x10 queries with 18-byte
 * replies built from the core's snapshot through the default (unconfirmed) code table.
 *
 * - 0x80 n / 0x82 n open for n persons (0 taken as 1); 0x81 / 0x83 01 hold one side open, 0x83 00
 *   both; 0x84 closes and ends a hold. An opening in a forbidden direction (0x88 / 0x89, lifted by
 *   0x8F; both ways for 0x83 00 if either is forbidden) is refused: nothing moves.
 * - 0x20 / 0x21 zero a counter; 0x35 0x60 restarts the board (self-test, forbids lifted, counters
 *   kept); 0x96 menu value is stored in `parameters`.
 * - `cmdExec` in replies is the code of the last command carried out (the simulator's reading of
 *   that unconfirmed byte); `fault`, `infrared`, `u1`, `u2` are 0.
 * - Frames with a bad checksum or for another machine get no answer.
 */
export class VirtualFlapGateBoard extends EventEmitter<VirtualFlapGateBoardEventMap> {
  readonly core: VirtualGateCore;
  /** Menu parameters set by 0x96, by menu number. */
  readonly parameters = new Map<number, number>();
  readonly #machine: number;
  readonly #version: number;
  readonly #directions: FlapDirections;
  readonly #replyToCommands: boolean;
  readonly #selfTestMs: number;
  readonly #replyChecksum: FlapChecksumRule | undefined;
  readonly #decoder = new FlapCommandDecoder();
  readonly #forbidden = new Set<FlapSide>();
  readonly #port = new DevicePort({
    onData: (chunk) => this.#onData(chunk),
    onClose: () => this.#decoder.reset(),
    onPlugIn: () => this.#plugIn(),
  });
  #faults: PendingFaults = { garbage: [], muted: 0, unplug: undefined };
  #powered = true;
  #cmdExec = 0;
  #writing: Promise<unknown> = Promise.resolve();
  #stats: VirtualFlapGateStats = emptyStats();

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: VirtualFlapGateBoardOptions = {}) {
    super();
    this.#machine = byteOption('machine', options.machine, FLAP_DEFAULT_MACHINE);
    this.#version = byteOption('version', options.version, 1);
    this.#directions = resolveFlapDirections(options.directions ?? DEFAULT_FLAP_DIRECTIONS);
    this.#replyToCommands = options.replyToCommands ?? true;
    const selfTestMs = options.selfTestMs ?? 100;
    if (!Number.isFinite(selfTestMs) || selfTestMs < 0) {
      throw new XinyiError('INVALID_OPTIONS', 'virtual flap gate: selfTestMs must be a non-negative number', {
        details: { option: 'selfTestMs' },
      });
    }
    this.#selfTestMs = selfTestMs;
    this.#replyChecksum = options.replyChecksum;
    this.core = options.core ?? new VirtualGateCore(options.timing);
  }

  get machine(): number {
    return this.#machine;
  }

  /** The transport the board listens on, or undefined. */
  get transport(): Transport | undefined {
    return this.#port.transport;
  }

  /** False between a power loss and the plug-in. */
  get powered(): boolean {
    return this.#powered;
  }

  /** Directions refused at the moment. */
  get forbidden(): FlapSide[] {
    return (['left', 'right'] as const).filter((s) => this.#forbidden.has(s));
  }

  get stats(): VirtualFlapGateStats {
    return { ...this.#stats, faultsApplied: { ...this.#stats.faultsApplied } };
  }

  /**
   * Serves the board end of a link (opening it if it is closed, resolving false if it cannot be).
   * After the link was unplugged and plugged in from outside, call again with the same transport.
   */
  attach(transport: Transport): Promise<boolean> {
    return this.#port.attach(transport);
  }

  /** Stops serving the transport (closing it if the board opened it). */
  detach(): void {
    if (this.#port.detach()) this.#decoder.reset();
  }

  /** Queues a fault; returns a function that withdraws what is left of it. */
  injectFault(fault: VirtualFlapGateFault): () => void {
    switch (fault?.kind) {
      case 'garbage': {
        const bytes = fault.bytes ?? DEFAULT_GARBAGE;
        if (!(bytes instanceof Uint8Array)) {
          throw new XinyiError('INVALID_ARGUMENT', 'virtual flap gate fault: bytes must be a Uint8Array');
        }
        const entry = { bytes, remaining: positiveCount('times', fault.times) };
        this.#faults.garbage.push(entry);
        return () => {
          this.#faults.garbage = this.#faults.garbage.filter((g) => g !== entry);
        };
      }
      case 'mute': {
        const queries = positiveCount('queries', fault.queries);
        this.#faults.muted += queries;
        return () => {
          this.#faults.muted = 0;
        };
      }
      case 'unplug': {
        if (fault.forMs !== undefined && !(Number.isFinite(fault.forMs) && fault.forMs >= 0)) {
          throw new XinyiError(
            'INVALID_ARGUMENT',
            'virtual flap gate fault: forMs must be a non-negative number',
          );
        }
        const entry = { forMs: fault.forMs };
        this.#faults.unplug = entry;
        return () => {
          if (this.#faults.unplug === entry) this.#faults.unplug = undefined;
        };
      }
      default:
        throw new XinyiError('INVALID_ARGUMENT', 'virtual flap gate fault: unknown kind');
    }
  }

  clearFaults(): void {
    this.#faults = { garbage: [], muted: 0, unplug: undefined };
  }

  /**
   * Loses power now: the mechanics stop, the `'unplug'` event fires (the harness pulls the link),
   * and with `forMs` the board comes back that much later (`'plug-in'`, then a self-test).
   */
  powerLoss(forMs?: number): void {
    if (!this.#powered) return;
    this.#powered = false;
    this.core.dispose();
    this.#decoder.reset();
    this.emit('unplug', { forMs });
    // A dead board lets go of its port: a PTY end that is only read from may never notice the other
    // side vanished, and would otherwise stay open on a dead descriptor past the plug-in.
    const transport = this.#port.transport;
    if (transport?.isOpen) transport.close().catch(() => {});
    if (forMs !== undefined) this.#port.plugInAfter(forMs);
  }

  /** Powers a board up again after `powerLoss()` without `forMs`: `'plug-in'` fires, then the self-test. */
  restorePower(): void {
    if (!this.#powered) this.#port.plugInAfter(0);
  }

  /** The status this board reports now (what a 0x10 reply encodes). */
  status(): GateStatus {
    return statusOf(this.core.snapshot());
  }

  /** The 18-byte reply this board would send now. */
  reply(): Buffer {
    const snapshot = this.core.snapshot();
    const codes = flapCodesForStatus(statusOf(snapshot), { directions: this.#directions });
    const leftIsEntry = this.#directions.left === 'entry';
    return encodeFlapReply(
      {
        version: this.#version,
        machine: this.#machine,
        fault: 0,
        gateStatus: codes.gateStatus,
        alarm: codes.alarm,
        leftCount: leftIsEntry ? snapshot.entryCount : snapshot.exitCount,
        rightCount: leftIsEntry ? snapshot.exitCount : snapshot.entryCount,
        infrared: 0,
        cmdExec: this.#cmdExec,
        vcc: VCC,
        u1: 0,
        u2: 0,
      },
      { replyChecksum: this.#replyChecksum },
    );
  }

  #plugIn(): void {
    this.#powered = true;
    this.#forbidden.clear();
    this.emit('plug-in');
    this.core.powerUp(this.#selfTestMs);
  }

  #onData(chunk: Buffer): void {
    if (!this.#powered) return;
    for (const item of this.#decoder.push(chunk)) {
      if (!this.#powered) return;
      if (isXinyiError(item) || item.machine !== this.#machine) {
        this.#stats.ignored++;
        continue;
      }
      const unplug = this.#faults.unplug;
      if (unplug !== undefined) {
        this.#faults.unplug = undefined;
        this.#stats.faultsApplied.unplug++;
        this.powerLoss(unplug.forMs);
        return;
      }
      this.#handle(item);
    }
  }

  #handle(frame: FlapCommandFrame): void {
    if (frame.cmd === FlapCommand.query) {
      this.#stats.queries++;
      if (this.#faults.muted > 0) {
        this.#faults.muted--;
        this.#stats.faultsApplied.mute++;
        return;
      }
      this.#send();
      return;
    }
    this.#stats.commands++;
    const executed = this.#execute(frame);
    if (executed) this.#cmdExec = frame.cmd;
    this.emit('command', { cmd: frame.cmd, d0: frame.d0, d1: frame.d1, d2: frame.d2, executed });
    if (this.#replyToCommands) this.#send();
  }

  #execute({ cmd, d0, d1 }: FlapCommandFrame): boolean {
    const direction = (side: FlapSide) => this.#directions[side];
    const open = (side: FlapSide, count: number, hold: boolean): boolean => {
      if (this.#forbidden.has(side)) {
        this.#stats.refused++;
        return false;
      }
      this.core.open(direction(side), count, hold);
      return true;
    };
    switch (cmd) {
      case FlapCommand.resetLeftCount:
        this.core.resetCounters(direction('left'));
        return true;
      case FlapCommand.resetRightCount:
        this.core.resetCounters(direction('right'));
        return true;
      case FlapCommand.resetDevice:
        if (d0 !== FLAP_RESET_DEVICE_KEY) return false;
        this.#forbidden.clear();
        this.core.powerUp(this.#selfTestMs);
        return true;
      case FlapCommand.leftOpen:
        return open('left', Math.max(1, d0), false);
      case FlapCommand.rightOpen:
        return open('right', Math.max(1, d0), false);
      case FlapCommand.leftAlwaysOpen:
        return open('left', 1, true);
      case FlapCommand.alwaysOpen:
        if (d0 !== 0) return open('right', 1, true);
        if (this.#forbidden.size > 0) {
          this.#stats.refused++;
          return false;
        }
        // Both ways: the core has one direction; a held gate reports none.
        this.core.open(direction('left'), 1, true);
        return true;
      case FlapCommand.close:
        this.core.close();
        return true;
      case FlapCommand.forbidLeft:
        this.#forbidden.add('left');
        return true;
      case FlapCommand.forbidRight:
        this.#forbidden.add('right');
        return true;
      case FlapCommand.clearForbid:
        this.#forbidden.clear();
        return true;
      case FlapCommand.setParameter:
        this.parameters.set(d0, d1);
        return true;
      default:
        return false;
    }
  }

  #send(): void {
    const transport = this.#port.transport;
    if (transport === undefined) return;
    let bytes = this.reply();
    const garbage = this.#faults.garbage[0];
    if (garbage !== undefined) {
      if (--garbage.remaining <= 0) this.#faults.garbage.shift();
      this.#stats.faultsApplied.garbage++;
      bytes = Buffer.concat([garbage.bytes, bytes]);
    }
    this.#stats.replies++;
    // One write at a time keeps replies in order whatever the transport does with concurrent writes.
    this.#writing = this.#writing.then(() => transport.write(bytes)).catch(() => {});
  }
}

function statusOf(snapshot: VirtualGateSnapshot): GateStatus {
  const status: GateStatus = {
    state: snapshot.selfTest ? 'self-test' : snapshot.phase,
    held: snapshot.held,
    entryCount: snapshot.entryCount,
    exitCount: snapshot.exitCount,
    alarms: snapshot.alarms,
  };
  if (snapshot.direction !== undefined && !snapshot.selfTest) status.direction = snapshot.direction;
  return status;
}

function emptyStats(): VirtualFlapGateStats {
  return {
    queries: 0,
    commands: 0,
    refused: 0,
    ignored: 0,
    replies: 0,
    faultsApplied: { garbage: 0, mute: 0, unplug: 0 },
  };
}
