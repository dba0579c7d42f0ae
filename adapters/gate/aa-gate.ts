import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { GateDirection, GateStatus } from '../../sdk/gate/gate.js';
import { TransportListeners } from '../device-link.js';
import type { Transport } from '../transport/transport.js';
import {
  AA_BROADCAST_ADDRESS,
  AA_CID1_REPLY,
  AA_DEFAULT_GATE_ADDRESS,
  AA_DEFAULT_HOST_ADDRESS,
  type AaCommand,
  AaFrameDecoder,
  encodeAaCommand,
  parseAaStatusReply,
} from './aa-frame.js';
import { GateDriverBase, type GateDriverOptions } from './gate-driver.js';

export interface AaGateDriverOptions extends GateDriverOptions {
  /**
   * The link to the board: `SerialTransport` at 9600 8N1 (`AA_GATE_SERIAL_BAUD_RATE`), `TcpTransport`
   * to port 1005 (`AA_GATE_TCP_PORT`), `UdpTransport` to port 1004 (`AA_GATE_UDP_PORT`), or a
   * simulator link. The driver opens and closes it.
   */
  transport: Transport;
  /**
   * The board's address: status queries go to it (a status query cannot be broadcast), and only
   * replies from it are taken.
   * @default 0x0B (the address the reference host code queries)
   */
  address?: number;
  /**
   * Where open and close commands go: `'broadcast'` (destination 00, as the reference host sends
   * them; every board on an RS-485 bus obeys) or `'address'` (only this board, for a bus shared by
   * several gates).
   * @default 'broadcast'
   */
  commandDestination?: 'broadcast' | 'address';
  /** The host's own address, byte 2 of every command. @default 0x01 */
  hostAddress?: number;
  /**
   * How long a status query waits for its reply before it counts as a missed poll (16 bytes each
   * way take 17 ms at 9600 baud).
   * @default 500
   */
  commandTimeoutMs?: number;
}

/** Counters for diagnostics. */
export interface AaGateDriverStats {
  /** Status queries sent. */
  queries: number;
  /** Status replies matched to a query. */
  replies: number;
  /** Queries that got no reply in time. */
  timeouts: number;
  /** Frames with a bad length or checksum. */
  frameErrors: number;
  /** Replies that arrived with no query waiting, or from another board. */
  strayFrames: number;
  /** Open and close commands sent. */
  commands: number;
}

interface PendingQuery {
  resolve: (status: GateStatus) => void;
  reject: (error: XinyiError) => void;
  timer: NodeJS.Timeout;
}

function checkedByte(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new XinyiError('INVALID_OPTIONS', `aa-gate: ${name} must be an integer 0..255`, {
      details: { option: name },
    });
  }
  return value;
}

/**
 * Driver for the AA-frame gate board (docs/protocols.md §3.2 A) over any transport.
 *
 * - Status: a query (`FF 00` to the board's address) is answered by a 16-byte reply with CID1 0x12;
 *   replies are matched to queries first in, first out. A reply with no query waiting, or from
 *   another address, is counted and ignored. Boards of this family are also seen to send status
 *   frames on their own (the reference UDP host only listens); such a frame answering a waiting
 *   query is harmless, since it is a status of the same board.
 * - Open and close: the command is written and the call resolves; no acknowledgement is awaited.
 *   The reference does not define one (one host variant reads a 16-byte frame after opening, others
 *   never read after a command), so the next status poll confirms what the barrier did, and any
 *   frame the board sends back is taken as a status or ignored as stray.
 * - Entry opens for one person: the entry-open command carries no count, so `open('entry',
 *   { count })` with a count above 1 is refused with `INVALID_ARGUMENT`. Exit opens for 1–255.
 *   `close()` without a direction sends entry-close then exit-close.
 * - Over UDP nothing reports a lost link: `maxMissedPolls` unanswered queries in a row make the
 *   driver reopen the transport and go `reconnecting` meanwhile.
 */
export class AaGateDriver extends GateDriverBase {
  readonly #transport: Transport;
  readonly #address: number;
  readonly #hostAddress: number;
  readonly #commandDestination: number;
  readonly #timeoutMs: number;
  readonly #decoder = new AaFrameDecoder();
  readonly #pending: PendingQuery[] = [];
  readonly #port: TransportListeners;
  readonly #stats: AaGateDriverStats = {
    queries: 0,
    replies: 0,
    timeouts: 0,
    frameErrors: 0,
    strayFrames: 0,
    commands: 0,
  };

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: AaGateDriverOptions) {
    super('aa-gate', options);
    if (options?.transport === null || typeof options?.transport !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'aa-gate: transport is required', {
        details: { option: 'transport' },
      });
    }
    this.#transport = options.transport;
    this.#port = new TransportListeners(this.#transport, {
      data: this.#onData,
      lost: (error) => {
        this.#failPending(error);
        this.#decoder.reset();
        this.linkLost(error);
      },
    });
    this.#address = checkedByte('address', options.address, AA_DEFAULT_GATE_ADDRESS);
    if (this.#address === AA_BROADCAST_ADDRESS) {
      throw new XinyiError('INVALID_OPTIONS', 'aa-gate: address cannot be the broadcast address 0', {
        details: { option: 'address' },
      });
    }
    this.#hostAddress = checkedByte('hostAddress', options.hostAddress, AA_DEFAULT_HOST_ADDRESS);
    const destination = options.commandDestination ?? 'broadcast';
    if (destination !== 'broadcast' && destination !== 'address') {
      throw new XinyiError(
        'INVALID_OPTIONS',
        "aa-gate: commandDestination must be 'broadcast' or 'address'",
        {
          details: { option: 'commandDestination' },
        },
      );
    }
    this.#commandDestination = destination === 'broadcast' ? AA_BROADCAST_ADDRESS : this.#address;
    const timeoutMs = options.commandTimeoutMs ?? 500;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new XinyiError('INVALID_OPTIONS', 'aa-gate: commandTimeoutMs must be a positive number', {
        details: { option: 'commandTimeoutMs' },
      });
    }
    this.#timeoutMs = timeoutMs;
  }

  /** A snapshot of the counters. */
  get stats(): AaGateDriverStats {
    return { ...this.#stats };
  }

  protected async openLink(): Promise<void> {
    this.#decoder.reset();
    await this.#port.open();
  }

  protected async closeLink(): Promise<void> {
    this.#port.detach();
    this.#failPending(new XinyiError('CLOSED', `${this.name} was closed`));
    this.#decoder.reset();
    await this.#port.release();
  }

  protected queryStatus(): Promise<GateStatus> {
    return new Promise<GateStatus>((resolve, reject) => {
      const frame = encodeAaCommand({ action: 'query-status' }, this.#addressing(this.#address));
      const timer = setTimeout(() => {
        if (!this.#remove(pending)) return;
        this.#stats.timeouts++;
        reject(
          new XinyiError('DEVICE_TIMEOUT', `${this.name}: no status reply within ${this.#timeoutMs} ms`, {
            details: { timeoutMs: this.#timeoutMs },
          }),
        );
      }, this.#timeoutMs);
      const pending: PendingQuery = { resolve, reject, timer };
      this.#pending.push(pending);
      this.#stats.queries++;
      this.#transport.write(frame).catch((error: unknown) => {
        if (!this.#remove(pending)) return;
        reject(this.#writeError(error, 'status query'));
      });
    });
  }

  protected async sendOpen(direction: GateDirection, count: number, hold: boolean): Promise<void> {
    let command: AaCommand;
    if (direction === 'entry') {
      if (!hold && count !== 1) {
        throw new XinyiError(
          'INVALID_ARGUMENT',
          `${this.name}: the AA board opens entry for one person at a time (the command has no count)`,
          { details: { argument: 'count' } },
        );
      }
      command = { action: hold ? 'entry-hold-open' : 'entry-open' };
    } else {
      if (!hold && count > 0xff) {
        throw new XinyiError('INVALID_ARGUMENT', `${this.name}: exit count must be 1..255`, {
          details: { argument: 'count' },
        });
      }
      command = hold ? { action: 'exit-hold-open' } : { action: 'exit-open', count };
    }
    await this.#send(command);
  }

  protected async sendClose(direction: GateDirection | undefined): Promise<void> {
    if (direction !== 'exit') await this.#send({ action: 'entry-close' });
    if (direction !== 'entry') await this.#send({ action: 'exit-close' });
  }

  async #send(command: AaCommand): Promise<void> {
    const frame = encodeAaCommand(command, this.#addressing(this.#commandDestination));
    this.#stats.commands++;
    try {
      await this.#transport.write(frame);
    } catch (error) {
      throw this.#writeError(error, command.action);
    }
  }

  #addressing(destination: number): { source: number; destination: number } {
    return { source: this.#hostAddress, destination };
  }

  #writeError(error: unknown, what: string): XinyiError {
    return isXinyiError(error)
      ? error
      : new XinyiError('GATE_COMMAND_FAILED', `${this.name}: writing the ${what} failed`, { cause: error });
  }

  readonly #onData = (chunk: Buffer): void => {
    for (const item of this.#decoder.push(chunk)) {
      if (item instanceof XinyiError) {
        // The reply it damaged times out; the next good frame may already follow in this chunk.
        this.#stats.frameErrors++;
        this.logger.debug({ device: this.name, code: item.code }, 'aa-gate frame error');
        continue;
      }
      // Commands echoed by a half-duplex RS-485 adapter come back with CID1 0x02: not ours to read.
      if (item.cid1 !== AA_CID1_REPLY) continue;
      const pending = this.#pending.shift();
      if (item.source !== this.#address || pending === undefined) {
        if (pending !== undefined) this.#pending.unshift(pending);
        this.#stats.strayFrames++;
        continue;
      }
      clearTimeout(pending.timer);
      this.#stats.replies++;
      pending.resolve(parseAaStatusReply(item));
    }
  };

  #remove(pending: PendingQuery): boolean {
    const index = this.#pending.indexOf(pending);
    if (index < 0) return false;
    this.#pending.splice(index, 1);
    clearTimeout(pending.timer);
    return true;
  }

  #failPending(error: XinyiError): void {
    for (const pending of this.#pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}
