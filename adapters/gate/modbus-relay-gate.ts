import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { GATE_ALARMS, type GateAlarm, type GateDirection, type GateStatus } from '../../sdk/gate/gate.js';
import { deviceOpenError, SERIAL_PORT_HINTS } from '../device-open-error.js';
import { loadNativeModule } from '../native.js';
import type { SerialParity } from '../transport/serial-transport.js';
import { GateDriverBase, type GateDriverOptions } from './gate-driver.js';
import { MODBUS_MAX_READ_BITS, MODBUS_MAX_UNIT_ID } from './modbus-rtu.js';

/** A relay board behind a serial device server in transparent (raw TCP) mode: RTU frames, CRC and all, over TCP. */
export interface ModbusRelayTcpOptions {
  host: string;
  port: number;
}

export interface ModbusRelayGateOptions extends GateDriverOptions {
  /**
   * The board's serial port (an RS-485 adapter). Exactly one of `path` and `tcp`.
   * @example '/dev/ttyUSB0'
   */
  path?: string;
  /** With `path`. Relay boards ship at 9600 more often than not; check the board's manual. @default 9600 */
  baudRate?: number;
  /** With `path`; 8 data bits. @default 'none' */
  parity?: SerialParity;
  /** With `path`. @default 1 */
  stopBits?: 1 | 2;
  /** The board behind a serial device server. Exactly one of `path` and `tcp`. */
  tcp?: ModbusRelayTcpOptions;
  /** The board's slave address, 1–247. @default 1 */
  unitId?: number;
  /** The relay wired to the gate's "open entry" dry contact (0-based coil number). @default 0 */
  entryCoil?: number;
  /** The relay wired to the gate's "open exit" dry contact. @default 1 */
  exitCoil?: number;
  /**
   * How long the relay stays closed for one opening. §3.1: the right width is set by the gate
   * controller's input spec and no source confirms it; a few hundred ms is typical.
   * @default 300
   */
  pulseMs?: number;
  /** The discrete input (FC02, 0-based) the entry passage sensor drives. @default 0 */
  entrySensorInput?: number;
  /** The discrete input the exit passage sensor drives. @default 1 */
  exitSensorInput?: number;
  /** Inputs wired to the gate's alarm outputs: input number → alarm, e.g. `{ 7: 'fire' }`. @default none */
  alarmInputs?: Readonly<Record<number, GateAlarm>>;
  /** How long a request may wait for its reply before it fails with `DEVICE_TIMEOUT`. @default 500 */
  commandTimeoutMs?: number;
}

// The slice of modbus-serial@8 used here, typed locally so no type of the optional module reaches ours.
interface ModbusPort {
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

interface ModbusClient {
  readonly isOpen: boolean;
  open(callback: (error?: unknown) => void): void;
  close(callback: (error?: unknown) => void): void;
  destroy(callback: (error?: unknown) => void): void;
  setID(id: number): void;
  setTimeout(ms: number): void;
  readDiscreteInputs(address: number, length: number): Promise<{ data: boolean[] }>;
  writeCoil(address: number, state: boolean): Promise<unknown>;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

interface ModbusSerialExports {
  new (port: ModbusPort): ModbusClient;
  /** Absent when serialport could not be loaded (modbus-serial requires it inside a try). */
  RTUBufferedPort?: new (
    path: string,
    options: { baudRate: number; dataBits: 8; parity: SerialParity; stopBits: 1 | 2 },
  ) => ModbusPort;
  TelnetPort: new (host: string, options: { port: number }) => ModbusPort;
}

const OPEN_TIMEOUT_MS = 3_000;
const CLOSE_TIMEOUT_MS = 1_000;
const COUNTER_MODULUS = 2 ** 24;
const DIRECTIONS: readonly GateDirection[] = ['entry', 'exit'];

function invalid(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `modbus relay gate: ${option} must be ${expected}`, {
    details: { option },
  });
}

function integer(
  option: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(option, `an integer ${min}..${max}`);
  return value;
}

/**
 * A gate driven through a Modbus RTU relay board (docs/protocols.md §3.1, §3.3–3.4): the board's
 * relays close the gate controller's "open entry" / "open exit" dry contacts, and its discrete
 * inputs read the passage sensors and alarm outputs. The link is the `modbus-serial` package
 * (an optional dependency, loaded on the first `connect()`), on a serial port or through a serial
 * device server.
 *
 * - `open(direction)` pulses the coil: FC05 ON, `pulseMs`, FC05 OFF — once per person when `count`
 *   is more than one, `pulseMs` apart. Status polls go on between the requests of a pulse train (the
 *   sensors are read while the board lets the first person through), and each ON or OFF goes
 *   before any poll waiting for the link, so it waits at most for the one request on the wire. The
 *   OFF is sent even when the ON or the wait failed, and `disconnect()` waits for it; an OFF that
 *   could not be delivered is sent again before the next poll (and when the link is back). Trains
 *   on one coil run one after the other.
 * - `open(direction, { hold: true })` is FC05 ON with no OFF; `close()` is FC05 OFF.
 * - Each poll is one FC02 read covering the sensor and alarm inputs. A relay board keeps no
 *   counters, so the driver counts rising edges of each sensor input (the base class turns a
 *   counter that rose into a `passed` event); the state is `unknown` unless a hold coil is on.
 *
 * Errors: `DEVICE_TIMEOUT` (no reply), `DEVICE_STATUS` (a Modbus exception, code in
 * `details.exceptionCode`), `FRAME_CHECKSUM` / `FRAME_LENGTH` (a garbled reply),
 * `DEVICE_DISCONNECTED` (the port went away), `DEVICE_NOT_FOUND` (cannot open the port),
 * `NATIVE_MODULE_UNAVAILABLE` (modbus-serial, or serialport for a serial link, is not installed).
 */
export class ModbusRelayGateDriver extends GateDriverBase {
  readonly #serial: { path: string; baudRate: number; parity: SerialParity; stopBits: 1 | 2 } | undefined;
  readonly #tcp: ModbusRelayTcpOptions | undefined;
  readonly #unitId: number;
  readonly #coilFor: Record<GateDirection, number>;
  readonly #sensorFor: Record<GateDirection, number>;
  readonly #alarmInputs: ReadonlyArray<readonly [number, GateAlarm]>;
  readonly #firstInput: number;
  readonly #inputSpan: number;
  readonly #pulseMs: number;
  readonly #commandTimeoutMs: number;
  readonly #held = new Set<GateDirection>();
  /** Coils whose OFF could not be delivered: sent again before the next poll and on reconnect. */
  readonly #unreleased = new Set<number>();
  readonly #sensorWas: Record<GateDirection, boolean | undefined> = { entry: undefined, exit: undefined };
  readonly #counts: Record<GateDirection, number> = { entry: 0, exit: 0 };
  #client: ModbusClient | undefined;
  /**
   * Rejecters of the requests on the wire. modbus-serial settles a request only by its reply or its
   * timer, and its `destroy()` (how a TCP link is released) clears the timers without calling back:
   * a request in flight when the link went would never settle and would hold the link for ever.
   */
  readonly #inFlight = new Set<(error: XinyiError) => void>();
  /** The pulse train in progress on each coil (the next waits for it). */
  readonly #trains = new Map<number, Promise<void>>();
  protected override readonly commandsTakeTheLinkPerRequest = true;

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: ModbusRelayGateOptions) {
    super('modbus-relay-gate', options);
    const { path, tcp } = options;
    if ((path === undefined) === (tcp === undefined))
      throw invalid('path / tcp', 'given, exactly one of them');
    if (path !== undefined) {
      if (typeof path !== 'string' || path.trim() === '') throw invalid('path', 'a non-empty string');
      const parity = options.parity ?? 'none';
      if (!['none', 'even', 'odd', 'mark', 'space'].includes(parity)) {
        throw invalid('parity', 'none, even, odd, mark or space');
      }
      const stopBits = options.stopBits ?? 1;
      if (stopBits !== 1 && stopBits !== 2) throw invalid('stopBits', '1 or 2');
      this.#serial = {
        path,
        baudRate: integer('baudRate', options.baudRate, 9600, 1, 4_000_000),
        parity,
        stopBits,
      };
    }
    if (tcp !== undefined) {
      if (typeof tcp !== 'object' || typeof tcp.host !== 'string' || tcp.host.trim() === '') {
        throw invalid('tcp.host', 'a non-empty string');
      }
      this.#tcp = { host: tcp.host, port: integer('tcp.port', tcp.port, 0, 1, 65_535) };
    }
    this.#unitId = integer('unitId', options.unitId, 1, 1, MODBUS_MAX_UNIT_ID);
    this.#coilFor = {
      entry: integer('entryCoil', options.entryCoil, 0, 0, 0xffff),
      exit: integer('exitCoil', options.exitCoil, 1, 0, 0xffff),
    };
    if (this.#coilFor.entry === this.#coilFor.exit) throw invalid('exitCoil', 'another coil than entryCoil');
    this.#sensorFor = {
      entry: integer('entrySensorInput', options.entrySensorInput, 0, 0, 0xffff),
      exit: integer('exitSensorInput', options.exitSensorInput, 1, 0, 0xffff),
    };
    if (this.#sensorFor.entry === this.#sensorFor.exit) {
      throw invalid('exitSensorInput', 'another input than entrySensorInput');
    }
    const alarmInputs = options.alarmInputs ?? {};
    if (typeof alarmInputs !== 'object' || alarmInputs === null) throw invalid('alarmInputs', 'an object');
    this.#alarmInputs = Object.entries(alarmInputs).map(([key, alarm]) => {
      const input = Number(key);
      if (!Number.isInteger(input) || input < 0 || input > 0xffff) {
        throw invalid('alarmInputs', 'keyed by input numbers 0..65535');
      }
      if (!GATE_ALARMS.includes(alarm))
        throw invalid(`alarmInputs.${key}`, `one of ${GATE_ALARMS.join(', ')}`);
      return [input, alarm] as const;
    });
    const inputs = [this.#sensorFor.entry, this.#sensorFor.exit, ...this.#alarmInputs.map(([n]) => n)];
    this.#firstInput = Math.min(...inputs);
    this.#inputSpan = Math.max(...inputs) - this.#firstInput + 1;
    if (this.#inputSpan > MODBUS_MAX_READ_BITS) {
      throw invalid(
        'alarmInputs',
        `within ${MODBUS_MAX_READ_BITS} inputs of the sensor inputs (one FC02 read)`,
      );
    }
    this.#pulseMs = integer('pulseMs', options.pulseMs, 300, 1, 60_000);
    this.#commandTimeoutMs = integer('commandTimeoutMs', options.commandTimeoutMs, 500, 1, 60_000);
  }

  protected async openLink(): Promise<void> {
    const ModbusRTU = await loadModbusSerial(this.#serial !== undefined);
    let port: ModbusPort;
    try {
      port = this.#serial
        ? new ModbusRTU.RTUBufferedPort!(this.#serial.path, {
            baudRate: this.#serial.baudRate,
            dataBits: 8,
            parity: this.#serial.parity,
            stopBits: this.#serial.stopBits,
          })
        : new ModbusRTU.TelnetPort(this.#tcp!.host, { port: this.#tcp!.port });
    } catch (cause) {
      throw new XinyiError('DEVICE_NOT_FOUND', `${this.name}: cannot create the port`, { cause });
    }
    // modbus-serial detaches its own error listener from the port on close, and the buffered port
    // re-emits every serial error: without a listener of ours a late error would crash the process.
    port.on('error', () => {});
    const client = new ModbusRTU(port);
    client.setID(this.#unitId);
    client.setTimeout(this.#commandTimeoutMs);
    client.on('error', (error) => this.#dropped(client, error));
    client.on('close', () => this.#dropped(client, new Error('the port closed')));
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => client.open((error) => (error ? reject(error) : resolve()))),
        OPEN_TIMEOUT_MS,
      );
    } catch (cause) {
      await release(client, this.#tcp !== undefined);
      if (this.#serial) throw deviceOpenError('serial port', this.#serial.path, cause, SERIAL_PORT_HINTS);
      throw new XinyiError('DEVICE_NOT_FOUND', `${this.name}: cannot open ${this.#where()}`, {
        cause,
        details: { reason: errorCode(cause) },
      });
    }
    this.#client = client;
    // Edges are counted between two reads of this link; a level seen first is not a passage.
    this.#sensorWas.entry = undefined;
    this.#sensorWas.exit = undefined;
    await this.#releaseStuckCoils();
  }

  /** Holding the link already (a poll, or the link being opened). */
  async #releaseStuckCoils(): Promise<void> {
    for (const coil of [...this.#unreleased]) {
      try {
        await this.#writeCoilNow(coil, false);
        this.#unreleased.delete(coil);
      } catch (error) {
        this.logger.warn({ device: this.name, coil, code: mapError(error).code }, 'relay still not released');
      }
    }
  }

  protected async closeLink(): Promise<void> {
    // A pulse in progress sends its OFF before the port goes.
    await Promise.all([...this.#trains.values()].map((train) => train.catch(() => {})));
    const client = this.#client;
    this.#client = undefined;
    this.#abandonRequests('the link was closed');
    if (client !== undefined) await release(client, this.#tcp !== undefined);
  }

  protected async queryStatus(): Promise<GateStatus> {
    // A relay left closed by a lost OFF would keep the gate's contact made: release it first.
    if (this.#unreleased.size > 0) await this.#releaseStuckCoils();
    const client = this.#requireClient();
    const { data } = await this.#request(() => client.readDiscreteInputs(this.#firstInput, this.#inputSpan));
    const input = (n: number) => data[n - this.#firstInput] === true;
    for (const direction of DIRECTIONS) {
      const now = input(this.#sensorFor[direction]);
      if (this.#sensorWas[direction] === false && now) {
        this.#counts[direction] = (this.#counts[direction] + 1) % COUNTER_MODULUS;
      }
      this.#sensorWas[direction] = now;
    }
    const active = new Set(this.#alarmInputs.filter(([n]) => input(n)).map(([, alarm]) => alarm));
    const heldDirection = DIRECTIONS.find((d) => this.#held.has(d));
    return {
      state: heldDirection === undefined ? 'unknown' : 'open',
      ...(heldDirection === undefined ? {} : { direction: heldDirection, held: true }),
      entryCount: this.#counts.entry,
      exitCount: this.#counts.exit,
      alarms: GATE_ALARMS.filter((alarm) => active.has(alarm)),
    };
  }

  protected async sendOpen(direction: GateDirection, count: number, hold: boolean): Promise<void> {
    const coil = this.#coilFor[direction];
    if (hold) {
      await this.#writeCoil(coil, true);
      this.#held.add(direction);
      return;
    }
    const previous = this.#trains.get(coil) ?? Promise.resolve();
    const train = previous.catch(() => {}).then(() => this.#pulses(coil, count));
    this.#trains.set(coil, train);
    try {
      await train;
      this.#held.delete(direction);
    } finally {
      if (this.#trains.get(coil) === train) this.#trains.delete(coil);
    }
  }

  protected async sendClose(direction: GateDirection | undefined): Promise<void> {
    let failure: unknown;
    for (const d of direction === undefined ? DIRECTIONS : [direction]) {
      const coil = this.#coilFor[d];
      try {
        await this.#writeCoil(coil, false);
        this.#held.delete(d);
        this.#unreleased.delete(coil);
      } catch (error) {
        if (!isXinyiError(error, 'DEVICE_STATUS')) this.#unreleased.add(coil);
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  async #pulses(coil: number, count: number): Promise<void> {
    for (let person = 0; person < count; person++) {
      if (person > 0) {
        await sleep(this.#pulseMs);
        // Disconnected meanwhile: the OFF of the last pulse went out; no further person is let in.
        if (this.deviceState !== 'ready') {
          throw new XinyiError(
            'CLOSED',
            `${this.name} is ${this.deviceState}: ${count - person} opening(s) not sent`,
          );
        }
      }
      let failure: unknown;
      try {
        await this.#writeCoil(coil, true);
        await sleep(this.#pulseMs);
      } catch (error) {
        // The ON may have reached the board even though its reply did not: release regardless.
        failure = error;
      }
      try {
        await this.#writeCoil(coil, false);
        this.#unreleased.delete(coil);
      } catch (error) {
        if (!isXinyiError(error, 'DEVICE_STATUS')) this.#unreleased.add(coil);
        failure ??= error;
      }
      if (failure !== undefined) throw failure;
    }
  }

  /** One FC05 request, taking the link (commands go before waiting polls). */
  #writeCoil(coil: number, on: boolean): Promise<void> {
    return this.exclusive(() => this.#writeCoilNow(coil, on));
  }

  async #writeCoilNow(coil: number, on: boolean): Promise<void> {
    const client = this.#requireClient();
    await this.#request(() => client.writeCoil(coil, on));
  }

  /** One request on the current client: its reply, its error, or `DEVICE_DISCONNECTED` when the link goes first. */
  #request<T>(send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const abandon = (error: XinyiError) => {
        this.#inFlight.delete(abandon);
        reject(error);
      };
      this.#inFlight.add(abandon);
      call(send).then(
        (value) => {
          this.#inFlight.delete(abandon);
          resolve(value);
        },
        (error: unknown) => {
          this.#inFlight.delete(abandon);
          reject(error);
        },
      );
    });
  }

  #abandonRequests(why: string, cause?: unknown): void {
    for (const abandon of [...this.#inFlight]) {
      abandon(
        new XinyiError('DEVICE_DISCONNECTED', `${this.name}: no reply, ${why}`, {
          ...(cause === undefined ? {} : { cause }),
          details: { reason: cause === undefined ? 'CLOSED' : errorCode(cause) },
        }),
      );
    }
  }

  #requireClient(): ModbusClient {
    const client = this.#client;
    if (client === undefined || !client.isOpen) {
      throw new XinyiError('DEVICE_DISCONNECTED', `${this.name}: the link is not open`);
    }
    return client;
  }

  #dropped(client: ModbusClient, cause: unknown): void {
    if (client !== this.#client) return;
    // No reply comes on a link that is gone: the requests waiting for one fail now, not at their timeout.
    this.#abandonRequests(`${this.#where()} was disconnected`, cause);
    this.linkLost(
      new XinyiError('DEVICE_DISCONNECTED', `${this.name}: ${this.#where()} was disconnected`, {
        cause,
        details: { reason: errorCode(cause) },
      }),
    );
  }

  #where(): string {
    return this.#serial
      ? `serial:${this.#serial.path}@${this.#serial.baudRate}`
      : `tcp:${this.#tcp!.host}:${this.#tcp!.port}`;
  }
}

async function loadModbusSerial(serial: boolean): Promise<ModbusSerialExports> {
  // modbus-serial's serial port requires serialport at load; ask for it first for a clear error.
  if (serial) await loadNativeModule('serialport');
  const mod = await loadNativeModule<{ default?: ModbusSerialExports }>('modbus-serial');
  const exports = mod.default ?? (mod as unknown as ModbusSerialExports);
  if (serial && exports.RTUBufferedPort === undefined) {
    throw new XinyiError(
      'NATIVE_MODULE_UNAVAILABLE',
      'modbus-serial could not load its serial port: install serialport (`npm install serialport`)',
      { details: { module: 'serialport' } },
    );
  }
  return exports;
}

async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw mapError(error);
  }
}

/** modbus-serial's errors (plain objects with `errno`, `modbusCode` or a message) as typed errors. */
function mapError(error: unknown): XinyiError {
  if (isXinyiError(error)) return error;
  const e = (error ?? {}) as { name?: unknown; message?: unknown; errno?: unknown; modbusCode?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.modbusCode === 'number') {
    return new XinyiError('DEVICE_STATUS', `relay board answered Modbus exception ${e.modbusCode}`, {
      cause: error,
      details: { exceptionCode: e.modbusCode },
    });
  }
  if (e.errno === 'ETIMEDOUT' || e.name === 'TransactionTimedOutError') {
    return new XinyiError('DEVICE_TIMEOUT', 'relay board did not answer in time', { cause: error });
  }
  if (/CRC error/i.test(message)) {
    return new XinyiError('FRAME_CHECKSUM', 'relay board reply failed its CRC', { cause: error });
  }
  if (/Data length error|Unexpected data error/i.test(message)) {
    return new XinyiError('FRAME_LENGTH', 'relay board reply did not match the request', { cause: error });
  }
  if (e.name === 'PortNotOpenError' || e.name === 'SerialPortError' || /Port Not Open/i.test(message)) {
    return new XinyiError('DEVICE_DISCONNECTED', 'relay board link is not open', { cause: error });
  }
  return new XinyiError('GATE_COMMAND_FAILED', 'relay board request failed', { cause: error });
}

function errorCode(cause: unknown): string {
  const c = (cause ?? {}) as { code?: unknown; errno?: unknown };
  return typeof c.code === 'string' ? c.code : typeof c.errno === 'string' ? c.errno : 'UNKNOWN';
}

/** Closes a client, never rejecting and never hanging (a TCP port whose socket is gone never calls back). */
function release(client: ModbusClient, tcp: boolean): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      try {
        if (tcp) client.destroy(() => resolve());
        else client.close(() => resolve());
      } catch {
        resolve();
      }
    }),
    CLOSE_TIMEOUT_MS,
  ).catch(() => {});
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
