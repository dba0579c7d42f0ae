import { EventEmitter } from 'node:events';
import {
  encodeBitsResponse,
  encodeExceptionResponse,
  encodeRegistersResponse,
  encodeWriteMultipleResponse,
  MODBUS_MAX_UNIT_ID,
  ModbusException,
  type ModbusFrame,
  type ModbusRequest,
  ModbusRequestDecoder,
  parseModbusRequest,
} from '../../adapters/gate/modbus-rtu.js';
import type { Transport } from '../../adapters/transport/transport.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { GATE_ALARMS, type GateAlarm, type GateDirection } from '../../sdk/gate/gate.js';
import { DevicePort } from './device-port.js';
import { VirtualGateCore } from './virtual-gate-core.js';

export interface VirtualModbusRelayBoardOptions {
  /** The board's slave address, 1–247. @default 1 */
  unitId?: number;
  /** The gate behind the relays. @default a new `VirtualGateCore()` (the board disposes of it) */
  core?: VirtualGateCore;
  /** Coils (relays). @default 8 */
  coilCount?: number;
  /** Discrete inputs. @default 8 */
  inputCount?: number;
  /** Holding registers (FC03/FC06), all zero at power-up. @default 8 */
  registerCount?: number;
  /** The relay wired to the gate's "open entry" dry contact. @default 0 */
  entryCoil?: number;
  /** The relay wired to the gate's "open exit" dry contact. @default 1 */
  exitCoil?: number;
  /** The input the gate's entry passage sensor drives. @default 0 */
  entrySensorInput?: number;
  /** The input the gate's exit passage sensor drives. @default 1 */
  exitSensorInput?: number;
  /** Inputs the gate's alarm outputs drive, e.g. `{ fire: 7 }`. @default none */
  alarmInputs?: Partial<Record<GateAlarm, number>>;
  /** How long a passage holds its sensor input ON (and OFF between two persons of a tailgate). @default 300 */
  sensorHoldMs?: number;
  /**
   * How the gate controller reads its open input (§3.3: vendor-specific, unconfirmed): `'edge'` —
   * a closing contact opens once for one person, however long it stays closed; `'level'` — the gate
   * stays open while the contact is closed and closes when it opens.
   * @default 'edge'
   */
  openInput?: 'edge' | 'level';
  /**
   * Silence after which a partial frame is given up (RTU frames end with the line going quiet;
   * see the framing notes in modbus-rtu.ts). @default 50
   */
  idleFlushMs?: number;
}

/** A misbehaviour applied to the next `times` replies (default 1). */
export type VirtualModbusRelayFault =
  /** Line noise just before the reply (default 6 bytes with no 0x01 in them). */
  | { kind: 'garbage'; bytes?: Uint8Array; times?: number }
  /** The reply with its CRC inverted. */
  | { kind: 'bad-crc'; times?: number }
  /** The request is carried out but its reply is lost. */
  | { kind: 'no-reply'; times?: number };

export interface VirtualModbusRelayStats {
  /** Frames addressed to this board (or broadcast), rejected ones included. */
  requests: number;
  replies: number;
  /** Exception replies among `replies`. */
  exceptions: number;
  /** Well-formed frames for another unit id, ignored. */
  otherUnit: number;
  /** Damaged frames (bad CRC, impossible length, cut short), ignored as a real slave does. */
  badFrames: number;
  /** Requests that arrived while muted or powered off. */
  unheard: number;
}

export interface VirtualModbusRelayBoardEventMap {
  /** A frame addressed to this board: the bytes exactly as received, and what the board made of them. */
  request: [event: { bytes: Buffer; request: ModbusRequest }];
  /** A reply was written (garbage and corruption included in `bytes`). */
  reply: [event: { bytes: Buffer }];
  /** A relay changed state. */
  coil: [event: { coil: number; on: boolean }];
  /** The board lost power: pull the cable now (the device cannot do it itself). */
  unplug: [event: { forMs: number | undefined }];
  /** Power is back: plug the link back in; the board reopens its transport right after the listeners return. */
  'plug-in': [];
}

const DEFAULT_GARBAGE = Buffer.from('00ff1337a55a', 'hex');

interface SensorPulses {
  on: boolean;
  remaining: number;
  timer: NodeJS.Timeout | undefined;
}

interface QueuedFault {
  fault: VirtualModbusRelayFault;
  remaining: number;
}

function option(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      `VirtualModbusRelayBoard: ${name} must be an integer ${min}..${max}`,
      {
        details: { option: name },
      },
    );
  }
  return value;
}

/**
 * A Modbus RTU relay board (docs/protocols.md §3.1) wired to a gate's dry-contact inputs, over
 * any `Transport`: the device end of a memory link, a PTY (`SerialTransport`), or a connection the
 * TCP device server accepted.
 *
 * - FC01/FC05/FC0F read and write the coils; FC02 reads the discrete inputs; FC03/FC06 read and
 *   write the holding registers. A range outside the board answers exception 02, a bad quantity or
 *   an FC05 value other than 0xFF00/0x0000 exception 03; FC04, FC10 and every other function code
 *   it does not implement (FC07, FC08, FC11 report server ID as `mbpoll -u` sends it, FC2B…, and a
 *   user-defined code once the line goes quiet) exception 01, as the Modbus spec requires.
 * - Frames for another unit id and damaged frames are ignored, as a real slave ignores them;
 *   unit id 0 (broadcast) writes are carried out without a reply.
 * - A rising edge on the entry/exit coil opens the wrapped `VirtualGateCore` that way (see
 *   `openInput`); a passage the core counts holds the matching sensor input ON for `sensorHoldMs`,
 *   once per person; a core alarm drives its `alarmInputs` input while it lasts.
 * - Power loss (`unplug`) drops every relay, forgets the inputs and stops answering; power back
 *   (`plugIn`, or `unplug(forMs)` running out) runs the core's power-up.
 */
export class VirtualModbusRelayBoard extends EventEmitter<VirtualModbusRelayBoardEventMap> {
  readonly unitId: number;
  readonly core: VirtualGateCore;
  readonly #ownsCore: boolean;
  readonly #coils: boolean[];
  readonly #manualInputs: boolean[];
  readonly #registers: number[];
  readonly #coilFor: Record<GateDirection, number>;
  readonly #sensorFor: Record<GateDirection, number>;
  readonly #alarmInputs: ReadonlyArray<readonly [GateAlarm, number]>;
  readonly #sensorHoldMs: number;
  readonly #level: boolean;
  readonly #idleFlushMs: number;
  readonly #decoder = new ModbusRequestDecoder();
  readonly #sensors = new Map<number, SensorPulses>();
  readonly #port = new DevicePort({
    onData: (chunk) => this.#onData(chunk),
    onClose: () => this.#forgetLine(),
    onPlugIn: () => this.#powerUp(),
  });
  readonly #onPassage = (event: { direction: GateDirection; count: number }) =>
    this.#pulseSensor(this.#sensorFor[event.direction], event.count);
  #faults: QueuedFault[] = [];
  #muted = false;
  #powered = true;
  #idleTimer: NodeJS.Timeout | undefined;
  #writing: Promise<unknown> = Promise.resolve();
  #stats: VirtualModbusRelayStats = emptyStats();

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: VirtualModbusRelayBoardOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'VirtualModbusRelayBoard options must be an object');
    }
    this.unitId = option('unitId', options.unitId, 1, 1, MODBUS_MAX_UNIT_ID);
    const coilCount = option('coilCount', options.coilCount, 8, 1, 2000);
    const inputCount = option('inputCount', options.inputCount, 8, 1, 2000);
    const registerCount = option('registerCount', options.registerCount, 8, 1, 125);
    this.#coilFor = {
      entry: option('entryCoil', options.entryCoil, 0, 0, coilCount - 1),
      exit: option('exitCoil', options.exitCoil, 1, 0, coilCount - 1),
    };
    this.#sensorFor = {
      entry: option('entrySensorInput', options.entrySensorInput, 0, 0, inputCount - 1),
      exit: option('exitSensorInput', options.exitSensorInput, 1, 0, inputCount - 1),
    };
    const alarmInputs = options.alarmInputs ?? {};
    this.#alarmInputs = Object.entries(alarmInputs).map(([alarm, input]) => {
      if (!GATE_ALARMS.includes(alarm as GateAlarm)) {
        throw new XinyiError('INVALID_OPTIONS', `VirtualModbusRelayBoard: alarmInputs has an unknown alarm`, {
          details: { option: 'alarmInputs' },
        });
      }
      return [alarm as GateAlarm, option(`alarmInputs.${alarm}`, input, 0, 0, inputCount - 1)] as const;
    });
    this.#sensorHoldMs = option('sensorHoldMs', options.sensorHoldMs, 300, 1, 60_000);
    this.#idleFlushMs = option('idleFlushMs', options.idleFlushMs, 50, 1, 60_000);
    if (options.openInput !== undefined && options.openInput !== 'edge' && options.openInput !== 'level') {
      throw new XinyiError(
        'INVALID_OPTIONS',
        "VirtualModbusRelayBoard: openInput must be 'edge' or 'level'",
        {
          details: { option: 'openInput' },
        },
      );
    }
    this.#level = options.openInput === 'level';
    this.#coils = Array<boolean>(coilCount).fill(false);
    this.#manualInputs = Array<boolean>(inputCount).fill(false);
    this.#registers = Array<number>(registerCount).fill(0);
    this.#ownsCore = options.core === undefined;
    this.core = options.core ?? new VirtualGateCore();
    this.core.on('passage', this.#onPassage);
  }

  /** The relays, coil 0 first (a copy). */
  get coils(): boolean[] {
    return [...this.#coils];
  }

  /** The discrete inputs as FC02 would read them now, input 0 first. */
  get inputs(): boolean[] {
    return this.#manualInputs.map((_, i) => this.#input(i));
  }

  get registers(): number[] {
    return [...this.#registers];
  }

  get powered(): boolean {
    return this.#powered;
  }

  get transport(): Transport | undefined {
    return this.#port.transport;
  }

  get stats(): VirtualModbusRelayStats {
    return { ...this.#stats };
  }

  resetStats(): void {
    this.#stats = emptyStats();
  }

  /**
   * Serves `transport` like a board powered by its cable: opens it if closed, keeps serving it
   * across the host's close and reopen. Resolves true once open, false when it cannot be opened.
   */
  attach(transport: Transport): Promise<boolean> {
    return this.#port.attach(transport);
  }

  /** Stops serving the transport (closing it if the board opened it). */
  detach(): void {
    if (this.#port.detach()) this.#forgetLine();
  }

  /** Drives an input by hand (a wire to some other contact), ORed with the sensor and alarm wiring. */
  setInput(input: number, on: boolean): void {
    if (!Number.isInteger(input) || input < 0 || input >= this.#manualInputs.length) {
      throw new XinyiError('INVALID_ARGUMENT', 'VirtualModbusRelayBoard.setInput(): no such input');
    }
    this.#manualInputs[input] = on;
  }

  /** Queues a fault for the next reply(s). Returns a function that withdraws it if unused. */
  injectFault(fault: VirtualModbusRelayFault): () => void {
    const kinds = ['garbage', 'bad-crc', 'no-reply'];
    if (fault === null || typeof fault !== 'object' || !kinds.includes(fault.kind)) {
      throw new XinyiError('INVALID_ARGUMENT', 'VirtualModbusRelayBoard.injectFault(): unknown fault kind');
    }
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new XinyiError('INVALID_ARGUMENT', 'VirtualModbusRelayBoard.injectFault(): times must be ≥ 1');
    }
    const queued: QueuedFault = { fault, remaining: times };
    this.#faults.push(queued);
    return () => {
      this.#faults = this.#faults.filter((q) => q !== queued);
    };
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** A dead RS-485 transceiver: requests are neither heard nor answered until `mute(false)`. */
  mute(muted = true): void {
    this.#muted = muted;
  }

  /**
   * The board loses power: every relay drops, sensor pulses stop, nothing is answered, and
   * `'unplug'` fires (the harness pulls the link). With `forMs`, power comes back that much later.
   */
  unplug(forMs?: number): void {
    if (!this.#powered) return;
    this.#powered = false;
    for (let coil = 0; coil < this.#coils.length; coil++) this.#setCoil(coil, false, false);
    this.#stopSensors();
    this.#forgetLine();
    this.emit('unplug', { forMs });
    if (forMs !== undefined) this.#port.plugInAfter(forMs);
  }

  /** Power is back now (after `unplug()` without `forMs`): `'plug-in'`, the core powers up, the port reopens. */
  plugIn(): Promise<boolean> {
    if (!this.#powered) this.#powerUp();
    return this.#port.powerOn();
  }

  /** Stops every timer and detaches; a core the board created is disposed of too. */
  dispose(): void {
    this.detach();
    this.#stopSensors();
    this.core.off('passage', this.#onPassage);
    if (this.#ownsCore) this.core.dispose();
  }

  #powerUp(): void {
    this.#powered = true;
    this.core.powerUp();
    this.emit('plug-in');
  }

  #forgetLine(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#decoder.reset();
  }

  #onData(chunk: Buffer): void {
    if (!this.#powered) return;
    this.#handle(this.#decoder.push(chunk));
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#decoder.pending > 0) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = undefined;
        this.#handle(this.#decoder.flush());
      }, this.#idleFlushMs);
    }
  }

  #handle(items: Array<ModbusFrame | XinyiError>): void {
    for (const item of items) {
      if (isXinyiError(item)) {
        this.#stats.badFrames++;
        continue;
      }
      if (item.unitId !== this.unitId && item.unitId !== 0) {
        this.#stats.otherUnit++;
        continue;
      }
      if (this.#muted || !this.#powered) {
        this.#stats.unheard++;
        continue;
      }
      this.#serve(item);
    }
  }

  #serve(frame: ModbusFrame): void {
    const request = parseModbusRequest(frame);
    this.#stats.requests++;
    this.emit('request', { bytes: frame.bytes, request });
    const reply = this.#execute(request, frame);
    if (frame.unitId === 0) return;
    if (reply[1]! & 0x80) this.#stats.exceptions++;
    this.#reply(reply);
  }

  #execute(request: ModbusRequest, frame: ModbusFrame): Buffer {
    const unit = this.unitId;
    const fail = (code: number) => encodeExceptionResponse(unit, request.functionCode, code);
    const inRange = (address: number, quantity: number, size: number) => address + quantity <= size;
    switch (request.kind) {
      case 'rejected':
        return fail(request.exceptionCode);
      case 'read-coils':
        if (!inRange(request.address, request.quantity, this.#coils.length)) {
          return fail(ModbusException.illegalDataAddress);
        }
        return encodeBitsResponse(
          unit,
          0x01,
          this.#coils.slice(request.address, request.address + request.quantity),
        );
      case 'read-discrete-inputs': {
        if (!inRange(request.address, request.quantity, this.#manualInputs.length)) {
          return fail(ModbusException.illegalDataAddress);
        }
        const bits = Array.from({ length: request.quantity }, (_, i) => this.#input(request.address + i));
        return encodeBitsResponse(unit, 0x02, bits);
      }
      case 'read-holding-registers':
        if (!inRange(request.address, request.quantity, this.#registers.length)) {
          return fail(ModbusException.illegalDataAddress);
        }
        return encodeRegistersResponse(
          unit,
          0x03,
          this.#registers.slice(request.address, request.address + request.quantity),
        );
      // FC05/FC06 replies echo the request (§3.1).
      case 'write-single-coil':
        if (!inRange(request.address, 1, this.#coils.length)) return fail(ModbusException.illegalDataAddress);
        this.#setCoil(request.address, request.on, true);
        return Buffer.from(frame.bytes);
      case 'write-multiple-coils':
        if (!inRange(request.address, request.states.length, this.#coils.length)) {
          return fail(ModbusException.illegalDataAddress);
        }
        for (const [i, on] of request.states.entries()) this.#setCoil(request.address + i, on, true);
        return encodeWriteMultipleResponse(unit, 0x0f, request.address, request.states.length);
      case 'write-single-register':
        if (!inRange(request.address, 1, this.#registers.length))
          return fail(ModbusException.illegalDataAddress);
        this.#registers[request.address] = request.value;
        return Buffer.from(frame.bytes);
      case 'read-input-registers':
      case 'write-multiple-registers':
        // A plain relay board has neither input registers nor block register writes.
        return fail(ModbusException.illegalFunction);
    }
  }

  #setCoil(coil: number, on: boolean, wired: boolean): void {
    const was = this.#coils[coil]!;
    if (was === on) return;
    this.#coils[coil] = on;
    this.emit('coil', { coil, on });
    if (!wired) return;
    const direction: GateDirection | undefined =
      coil === this.#coilFor.entry ? 'entry' : coil === this.#coilFor.exit ? 'exit' : undefined;
    if (direction === undefined) return;
    if (on) this.core.open(direction, 1, this.#level);
    else if (this.#level) this.core.close(direction);
  }

  #input(input: number): boolean {
    if (!this.#powered) return false;
    if (this.#manualInputs[input] || this.#sensors.get(input)?.on) return true;
    const alarms = this.#alarmInputs.filter(([, n]) => n === input);
    if (alarms.length === 0) return false;
    const active = this.core.snapshot().alarms;
    return alarms.some(([alarm]) => active.includes(alarm));
  }

  #pulseSensor(input: number, count: number): void {
    if (!this.#powered) return;
    let pulses = this.#sensors.get(input);
    if (pulses === undefined) {
      pulses = { on: false, remaining: 0, timer: undefined };
      this.#sensors.set(input, pulses);
    }
    pulses.remaining += count;
    if (pulses.timer === undefined) this.#nextPulse(pulses);
  }

  #nextPulse(pulses: SensorPulses): void {
    if (pulses.remaining === 0) return;
    pulses.remaining--;
    pulses.on = true;
    pulses.timer = setTimeout(() => {
      pulses.on = false;
      pulses.timer = undefined;
      // Two persons are two pulses: the sensor must read OFF between them for a poll to count both.
      if (pulses.remaining > 0) {
        pulses.timer = setTimeout(() => {
          pulses.timer = undefined;
          this.#nextPulse(pulses);
        }, this.#sensorHoldMs);
      }
    }, this.#sensorHoldMs);
  }

  #stopSensors(): void {
    for (const pulses of this.#sensors.values()) clearTimeout(pulses.timer);
    this.#sensors.clear();
  }

  #reply(reply: Buffer): void {
    const faults = this.#takeFaults();
    if (faults.some((f) => f.kind === 'no-reply')) return;
    let bytes = reply;
    if (faults.some((f) => f.kind === 'bad-crc')) {
      bytes = Buffer.from(reply);
      const last = bytes.length - 1;
      bytes[last] = bytes[last]! ^ 0xff;
      bytes[last - 1] = bytes[last - 1]! ^ 0xff;
    }
    const garbage = faults.find((f) => f.kind === 'garbage');
    if (garbage !== undefined) bytes = Buffer.concat([garbage.bytes ?? DEFAULT_GARBAGE, bytes]);
    const transport = this.#port.transport;
    if (transport === undefined || !transport.isOpen) return;
    this.#stats.replies++;
    this.emit('reply', { bytes });
    // One reply after another, in request order; a reply to a host that went away is just lost.
    this.#writing = this.#writing.then(() => transport.write(bytes)).catch(() => {});
  }

  #takeFaults(): VirtualModbusRelayFault[] {
    const taken: VirtualModbusRelayFault[] = [];
    const kinds = new Set<string>();
    for (const queued of this.#faults) {
      if (kinds.has(queued.fault.kind)) continue;
      kinds.add(queued.fault.kind);
      taken.push(queued.fault);
      queued.remaining--;
    }
    this.#faults = this.#faults.filter((q) => q.remaining > 0);
    return taken;
  }
}

function emptyStats(): VirtualModbusRelayStats {
  return { requests: 0, replies: 0, exceptions: 0, otherUnit: 0, badFrames: 0, unheard: 0 };
}
