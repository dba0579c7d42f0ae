import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { GateDirection, GateStatus } from '../../sdk/gate/gate.js';
import { TransportListeners } from '../device-link.js';
import type { Transport } from '../transport/transport.js';
import {
  FLAP_DEFAULT_MACHINE,
  type FlapChecksumRule,
  type FlapCodeTable,
  type FlapDirections,
  FlapFrameDecoder,
  type FlapReply,
  flapAlwaysOpen,
  flapClearForbid,
  flapClose,
  flapForbid,
  flapOpen,
  flapQueryStatus,
  flapReplyToStatus,
  flapResetCount,
  flapResetDevice,
  flapSetParameter,
  flapSideOf,
  resolveFlapCodes,
  resolveFlapDirections,
} from './flap-7e.js';
import { GateDriverBase, type GateDriverOptions } from './gate-driver.js';

export interface FlapGateDriverOptions extends GateDriverOptions {
  /** The board's RS-485 line: a `SerialTransport` at `FLAP_BAUD_RATE` (19200 8N1), a `TcpTransport` to a device server, … */
  transport: Transport;
  /** The board's address on the bus (byte 2). @default 1 */
  machine?: number;
  /** How long a status query waits for its 18-byte reply. @default 200 */
  commandTimeoutMs?: number;
  /**
   * How long a command other than the query waits for a reply that may acknowledge it. Whether the
   * board answers commands at all is unconfirmed, so no answer is not an error; 0 sends and moves on.
   * @default 50
   */
  ackWindowMs?: number;
  /** Which way each side of the lane is. @default { left: 'entry', right: 'exit' } */
  directions?: FlapDirections;
  /** Meaning of the reply's state and alarm codes, merged over the unconfirmed `DEFAULT_FLAP_CODES`. */
  codes?: Partial<FlapCodeTable>;
  /** The reply's checksum rule (unconfirmed). @default 'not-sum', the command's rule */
  replyChecksum?: FlapChecksumRule;
}

/** Counters for diagnostics. */
export interface FlapGateDriverStats {
  queries: number;
  commands: number;
  /** Replies taken as the answer to a query or command. */
  replies: number;
  /** Queries the board did not answer in time. */
  timeouts: number;
  /** Damaged or cut-short frames (garbage, noise on the line). */
  frameErrors: number;
  /** Valid replies nobody waited for, or from another machine on the bus. */
  strayReplies: number;
}

interface Waiter {
  resolve(reply: FlapReply | undefined): void;
  reject(error: XinyiError): void;
  timer: NodeJS.Timeout | undefined;
  /** The last damaged frame seen while waiting: the likelier explanation when nothing valid follows. */
  frameError?: XinyiError;
}

function checkedInteger(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new XinyiError('INVALID_OPTIONS', `flap gate: ${name} must be an integer ${min}..${max}`, {
      details: { option: name },
    });
  }
  return value;
}

/**
 * Driver of the 7E/7F flap/swing-barrier main board (docs/protocols.md §3.2 B) over any
 * transport. Status comes from the 0x10 query; opening uses 0x80/0x82 n (0x81 01 / 0x83 01 held),
 * closing the single 0x84 "close / normal", which returns both ways to normal.
 *
 * The board's answer to other commands is unconfirmed: the driver waits `ackWindowMs` for an
 * 18-byte reply and, if one comes, keeps it as `lastReply`, without reading its `cmdExec` byte
 * (its meaning is unknown); no reply is fine. A board that refuses an opening (a forbidden
 * direction) is therefore not detected at the command: the barrier simply does not move.
 */
export class FlapGateDriver extends GateDriverBase {
  readonly #transport: Transport;
  readonly #machine: number;
  readonly #timeoutMs: number;
  readonly #ackWindowMs: number;
  readonly #directions: FlapDirections;
  readonly #codes: FlapCodeTable;
  readonly #decoder: FlapFrameDecoder;
  #waiter: Waiter | undefined;
  readonly #port: TransportListeners;
  #lastReply: FlapReply | undefined;
  #lastFault = 0;
  readonly #stats: FlapGateDriverStats = {
    queries: 0,
    commands: 0,
    replies: 0,
    timeouts: 0,
    frameErrors: 0,
    strayReplies: 0,
  };

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: FlapGateDriverOptions) {
    super('flap-gate', options);
    const transport = options.transport as Transport | undefined;
    if (transport === null || typeof transport !== 'object' || typeof transport.write !== 'function') {
      throw new XinyiError('INVALID_OPTIONS', 'flap gate: transport must be a Transport', {
        details: { option: 'transport' },
      });
    }
    this.#transport = transport;
    this.#port = new TransportListeners(transport, {
      data: this.#onData,
      lost: (error) => {
        this.#fail(error);
        this.#decoder.reset();
        this.linkLost(error);
      },
    });
    this.#machine = checkedInteger('machine', options.machine, FLAP_DEFAULT_MACHINE, 0, 0xff);
    this.#timeoutMs = checkedInteger('commandTimeoutMs', options.commandTimeoutMs, 200, 1, 60_000);
    this.#ackWindowMs = checkedInteger('ackWindowMs', options.ackWindowMs, 50, 0, 60_000);
    this.#directions = resolveFlapDirections(options.directions);
    this.#codes = resolveFlapCodes(options.codes);
    this.#decoder = new FlapFrameDecoder({ replyChecksum: options.replyChecksum });
  }

  /** The last reply from the board, raw, including the fields a `GateStatus` leaves out. */
  get lastReply(): FlapReply | undefined {
    return this.#lastReply && { ...this.#lastReply };
  }

  get stats(): FlapGateDriverStats {
    return { ...this.#stats };
  }

  /** Refuses openings in `direction` at the board (0x88 / 0x89) until `clearForbid()`. */
  forbid(direction: GateDirection): Promise<void> {
    return this.#extra(() => flapForbid(this.#sideOf(direction), this.#machine));
  }

  /** Lifts every forbidden direction (0x8F). */
  clearForbid(): Promise<void> {
    return this.#extra(() => flapClearForbid(this.#machine));
  }

  /** Holds the barrier open both ways (0x83 00) until `close()`. */
  holdOpenBothWays(): Promise<void> {
    return this.#extra(() => flapAlwaysOpen('both', this.#machine));
  }

  /** Zeroes the board's counter for `direction`, or both (0x20 / 0x21). */
  async resetCounters(direction?: GateDirection): Promise<void> {
    const directions: GateDirection[] =
      direction === undefined ? ['entry', 'exit'] : [this.#checked(direction)];
    for (const d of directions)
      await this.#extra(() => flapResetCount(flapSideOf(d, this.#directions), this.#machine));
  }

  /** Restarts the board (0x35 0x60); it reports a self-test state meanwhile. */
  resetDevice(): Promise<void> {
    return this.#extra(() => flapResetDevice(this.#machine));
  }

  /** Sets a board menu parameter (0x96 menu value); numbering is the vendor's. */
  setParameter(menu: number, value: number): Promise<void> {
    return this.#extra(() => flapSetParameter(menu, value, this.#machine));
  }

  protected async openLink(): Promise<void> {
    // Bytes the board sent while nobody listened belong to no request of this period.
    this.#decoder.reset();
    await this.#port.open();
  }

  protected async closeLink(): Promise<void> {
    this.#port.detach();
    this.#fail(new XinyiError('CLOSED', `${this.name} was closed`));
    this.#decoder.reset();
    await this.#port.release();
  }

  protected async queryStatus(): Promise<GateStatus> {
    this.#stats.queries++;
    const reply = await this.#exchange(flapQueryStatus(this.#machine), this.#timeoutMs, true);
    return this.#toStatus(reply!);
  }

  protected async sendOpen(direction: GateDirection, count: number, hold: boolean): Promise<void> {
    const side = this.#sideOf(direction);
    await this.#command(hold ? flapAlwaysOpen(side, this.#machine) : flapOpen(side, count, this.#machine));
  }

  protected async sendClose(_direction: GateDirection | undefined): Promise<void> {
    // The board has one close command, for both ways.
    await this.#command(flapClose(this.#machine));
  }

  #checked(direction: GateDirection): GateDirection {
    if (direction !== 'entry' && direction !== 'exit') {
      throw new XinyiError('INVALID_ARGUMENT', `${this.name}: direction must be 'entry' or 'exit'`);
    }
    return direction;
  }

  #sideOf(direction: GateDirection) {
    return flapSideOf(this.#checked(direction), this.#directions);
  }

  #extra(build: () => Buffer): Promise<void> {
    return this.exclusive(async () => {
      if (this.deviceState !== 'ready') throw new XinyiError('CLOSED', `${this.name} is ${this.deviceState}`);
      await this.#command(build());
    });
  }

  async #command(frame: Buffer): Promise<void> {
    this.#stats.commands++;
    const reply = await this.#exchange(frame, this.#ackWindowMs, false);
    if (reply !== undefined) this.#toStatus(reply);
  }

  #toStatus(reply: FlapReply): GateStatus {
    this.#lastReply = reply;
    if (reply.fault !== this.#lastFault) {
      this.#lastFault = reply.fault;
      if (reply.fault !== 0)
        this.logger.warn({ device: this.name, fault: reply.fault }, 'flap board reports a fault');
    }
    return flapReplyToStatus(reply, { codes: this.#codes, directions: this.#directions });
  }

  /**
   * Writes `frame` and waits up to `waitMs` for the next valid reply from this machine. Without a
   * reply, `required` rejects (the last damaged frame seen, else `DEVICE_TIMEOUT`), otherwise
   * resolves undefined.
   */
  #exchange(frame: Buffer, waitMs: number, required: boolean): Promise<FlapReply | undefined> {
    return new Promise<FlapReply | undefined>((resolve, reject) => {
      if (!this.#transport.isOpen) {
        reject(new XinyiError('CLOSED', `${this.name}: the link is not open`));
        return;
      }
      const waiter: Waiter = { resolve, reject, timer: undefined };
      const expire = () => {
        if (this.#waiter !== waiter) return;
        this.#waiter = undefined;
        if (!required) {
          resolve(undefined);
          return;
        }
        this.#stats.timeouts++;
        reject(
          waiter.frameError ??
            new XinyiError(
              'DEVICE_TIMEOUT',
              `${this.name}: no reply to command 0x${frame[3]!.toString(16)} within ${waitMs} ms`,
              { details: { cmd: frame[3]!, timeoutMs: waitMs } },
            ),
        );
      };
      this.#waiter = waiter;
      // The wait starts once the frame is on the wire; a reply may still arrive before that.
      this.#transport.write(frame).then(
        () => {
          if (this.#waiter === waiter) waiter.timer = setTimeout(expire, waitMs);
        },
        (error: unknown) => {
          if (this.#waiter !== waiter) return;
          this.#waiter = undefined;
          reject(
            isXinyiError(error)
              ? error
              : new XinyiError('DEVICE_DISCONNECTED', `${this.name}: write failed`, { cause: error }),
          );
        },
      );
    });
  }

  #fail(error: XinyiError): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }

  readonly #onData = (chunk: Buffer): void => {
    for (const item of this.#decoder.push(chunk)) {
      if (isXinyiError(item)) {
        this.#stats.frameErrors++;
        if (this.#waiter !== undefined) this.#waiter.frameError = item;
        continue;
      }
      const waiter = this.#waiter;
      if (waiter === undefined || item.machine !== this.#machine) {
        this.#stats.strayReplies++;
        continue;
      }
      this.#waiter = undefined;
      clearTimeout(waiter.timer);
      this.#stats.replies++;
      waiter.resolve(item);
    }
  };
}
