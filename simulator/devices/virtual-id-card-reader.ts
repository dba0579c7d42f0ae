import { EventEmitter } from 'node:events';
import {
  type CardTextFields,
  detectCardType,
  encodeAppendedAddressPayload,
  encodeCardText,
  encodeReadPayload,
  encodeSamIdPayload,
  encodeSamResponse,
  SAM_BAUD_RATE_PARA,
  SAM_DEFAULT_BAUD_RATE,
  SAM_ID_BYTES,
  type SamBaudRate,
  SamCommand,
  SamCommandDecoder,
  type SamCommandFrame,
  type SamCommandName,
  type SamIdParts,
  SamStatus,
  WLT_PHOTO_BYTES,
} from '../../adapters/id-card/index.js';
import type { Transport } from '../../adapters/transport/transport.js';
import type { IdCardType } from '../../sdk/domain/credential.js';
import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import type { SyntheticPerson } from '../population.js';
import { createRng, type Rng } from '../prng.js';
import { cardFieldsForPerson } from './card-fields.js';
import { DevicePort } from './device-port.js';

/**
 * Time the simulated SAM spends on each command before it starts answering, in milliseconds.
 *
 * This is processing time only (RF exchange with the card, SAM cryptography). Wire time — 1295 bytes
 * take ≈112 ms at 115200 baud 8N1 — is modelled by the link (`createMemoryLink({ baudRate })`), not
 * here. Real readers typically take 100–400 ms of processing for a read; docs/protocols.md §1.7
 * lists only host-side wait times from public code (find/select 100 ms, read 2000 ms, read with
 * fingerprint 3000 ms, address 1500 ms, SAM ID 300 ms). The defaults are small so that tests and
 * demos stay fast; raise them to rehearse realistic timing.
 */
export interface SamProcessingDelaysMs {
  /** Find card (0x20 0x01). @default 5 */
  find: number;
  /** Select card (0x20 0x02). @default 5 */
  select: number;
  /** Read text + photo (0x30 0x01). @default 60 */
  read: number;
  /** Read text + photo + fingerprint (0x30 0x10). @default 90 */
  readFingerprint: number;
  /** Read the newest appended address (0x30 0x03). @default 20 */
  address: number;
  /** Read the SAM ID (0x12 0xFF). @default 5 */
  samId: number;
  /**
   * SAM status (0x11 0xFF), and every other answer: reset, baud rate, max RF bytes, unknown commands
   * and damaged frames. @default 2
   */
  status: number;
}

/** Options of `VirtualIdCardReader`. */
export interface VirtualIdCardReaderOptions {
  /**
   * The SAM module's identity, answered to 0x12 0xFF: the five numbers (`u16, u16, u32, u32, u32`,
   * §1.5) or the raw 16-byte payload.
   * @default [5, 1, 20230101, 12345, 67890] (shown as `05.01-20230101-0000012345-0000067890`)
   */
  samId?: SamIdParts | Uint8Array;
  /** Per-command processing time; keys left out keep their defaults. See `SamProcessingDelaysMs`. */
  processingDelayMs?: Partial<SamProcessingDelaysMs>;
}

/**
 * What the device calls a received frame: a `SamCommand` name, `'unknown'` for a well-formed frame
 * with another CMD/PARA, or `'invalidFrame'` for a frame with a bad checksum or impossible length.
 */
export type VirtualReaderCommandName = SamCommandName | 'unknown' | 'invalidFrame';

/**
 * Which commands a fault applies to: `'any'`, a `SamCommand` name, or a group — `'find'`
 * (findCard), `'select'` (selectCard), `'read'` (readBase, readBaseWithFingerprint, readNewestAddress).
 */
export type FaultTarget = 'any' | 'find' | 'select' | 'read' | SamCommandName;

/** When and how often a fault applies. */
export interface FaultScope {
  /** Which commands the fault applies to. @default 'any' ('read' for `card-pulled-mid-read`) */
  on?: FaultTarget;
  /** How many matching commands it applies to, a positive integer. @default 1 */
  times?: number;
  /** Applies to every matching command until removed; `times` is then ignored. @default false */
  persistent?: boolean;
}

/**
 * A misbehaviour to rehearse, applied to the next matching command(s). Faults of different kinds
 * combine on one command (e.g. garbage before a response with a bad checksum); two faults of the
 * same kind do not — the one injected first applies, the other waits for the next matching command.
 */
export type VirtualIdCardReaderFault =
  /** Write `bytes` (default 8 bytes of line noise, no preamble) just before the response. */
  | ({ kind: 'garbage'; bytes?: Uint8Array } & FaultScope)
  /** Send the response with its checksum byte inverted. */
  | ({ kind: 'bad-checksum' } & FaultScope)
  /**
   * Damage the response's data so that its one-byte XOR checksum still matches, as a garbled line
   * does about once in 256 damaged frames: data byte `offset` and the last data byte are both XORed
   * with `mask`. The defaults change the first digit of a read card's ID number (data offset 126:
   * the two length words, then the text's ID field at 122) and compensate in the photo's last byte.
   * A response with no data byte at `offset` is sent undamaged.
   */
  | ({ kind: 'checksum-blind-damage'; offset?: number; mask?: number } & FaultScope)
  /** Add `delayMs` to the processing time (to provoke the host's timeout). */
  | ({ kind: 'slow'; delayMs: number } & FaultScope)
  /** Execute the command but never send its response, as if it was lost on the wire. */
  | ({ kind: 'no-reply' } & FaultScope)
  /**
   * Answer with this SW3 (and SW1/SW2, default 0; §1.6 notes that 0x31/0x41 may carry non-zero
   * SW1/SW2) and no data, instead of executing the command.
   */
  | ({ kind: 'status'; sw3: number; sw1?: number; sw2?: number } & FaultScope)
  /**
   * Send only the first `afterBytes` bytes of the response (default: half of it), then the card is
   * gone (`removeCard()`), as if it left the field while the answer was streaming.
   */
  | ({ kind: 'card-pulled-mid-read'; afterBytes?: number } & FaultScope)
  /**
   * The reader loses power instead of answering: no response, the SAM forgets its session (card
   * found/selected, baud rate), and the `'unplug'` event fires; the harness wires it to the link
   * (`reader.on('unplug', () => link.unplug())`). With `forMs`, `'plug-in'` fires that much later.
   */
  | ({ kind: 'unplug'; forMs?: number } & FaultScope);

/** The `kind` of a `VirtualIdCardReaderFault`. */
export type VirtualIdCardReaderFaultKind = VirtualIdCardReaderFault['kind'];

/** Counters for tests and the simulator's control panel (a snapshot; it does not update). */
export interface VirtualIdCardReaderStats {
  /** Frames received, by name (every name present, zero when never seen). */
  commands: Record<VirtualReaderCommandName, number>;
  /** Sum of `commands`. */
  commandsReceived: number;
  /** Response frames written, including corrupted and cut-off ones. */
  responsesSent: number;
  /** Every byte written, garbage included. */
  bytesSent: number;
  /** How many times each fault kind was applied. */
  faultsApplied: Record<VirtualIdCardReaderFaultKind, number>;
}

/** Events of `VirtualIdCardReader`. None carries card content, so they are safe to log. */
export interface VirtualIdCardReaderEventMap {
  /** A frame was received (`cmd`/`para` absent for `'invalidFrame'`). */
  command: [event: { name: VirtualReaderCommandName; cmd?: number; para?: number }];
  /** A response was written: the command it answers, its SW3, the bytes written and the faults applied. */
  response: [
    event: {
      name: VirtualReaderCommandName;
      sw3: number;
      bytes: number;
      faults: VirtualIdCardReaderFaultKind[];
    },
  ];
  /** An `unplug` fault fired: disconnect the link now (the device cannot do it itself). */
  unplug: [event: { forMs: number | undefined }];
  /**
   * The `forMs` of an `unplug` fault elapsed: plug the link back in. The device reopens its
   * transport right after the listeners return.
   */
  'plug-in': [];
  /** The host switched the SAM's UART rate (0x60 xx); emitted after the 0x90 reply, as the module switches then. */
  'baud-rate': [baudRate: SamBaudRate];
}

/** Extras for `placeCard`. */
export interface PlaceCardOptions {
  /**
   * The photo file. The WLT format is proprietary (§1.11), so the default is 1024 bytes of
   * deterministic filler that starts with the ASCII marker `XINYI-SIMULATED-NOT-WLT`: a WLT decoder
   * must reject it.
   */
  photo?: Uint8Array;
  /**
   * The fingerprint file (0x30 0x10): 0, 512 or 1024 bytes, or one of those sizes to get
   * deterministic filler of that length (not a real template).
   * @default 0 (no fingerprint: FL = 0, a 1297-byte response)
   */
  fingerprint?: Uint8Array | 0 | 512 | 1024;
  /** Newest appended address (0x30 0x03), up to 35 characters. @default none (0x30 0x03 answers SW3 0x91) */
  appendedAddress?: string;
  /**
   * The 8-byte serial number answered to select. @default 8 zero bytes (as in the §1.5 sample frame)
   */
  serialNumber?: Uint8Array;
  /** Padding of the encoded card text (see `EncodeCardTextOptions`). @default 'space' */
  padding?: 'space' | 'nul';
}

/**
 * What `placeCard` accepts: a synthetic person (a resident card, or a `J` residence permit when the
 * number starts with 81/82/83), explicit fields of any of the four card types, or a raw 256-byte
 * card text (to feed a host malformed or unusual text).
 */
export type VirtualCardSource = SyntheticPerson | CardTextFields | Uint8Array;

/** The card lying on the reader, as the device will serve it. Holds (synthetic) personal data. */
export interface VirtualCard {
  readonly cardType: IdCardType;
  /** The fields the text was encoded from; undefined for a raw text. */
  readonly fields: CardTextFields | undefined;
  /** The 256-byte text (GA/T 490, §1.8, §1.10). */
  readonly text: Buffer;
  readonly photo: Buffer;
  /** 0, 512 or 1024 bytes. */
  readonly fingerprint: Buffer;
  readonly appendedAddress: string | undefined;
  readonly serialNumber: Buffer;
}

const DEFAULT_DELAYS: Readonly<SamProcessingDelaysMs> = Object.freeze({
  find: 5,
  select: 5,
  read: 60,
  readFingerprint: 90,
  address: 20,
  samId: 5,
  status: 2,
});

/** A clearly synthetic SAM ID, the example `formatSamId` documents. */
const DEFAULT_SAM_ID: SamIdParts = [5, 1, 20230101, 12345, 67890];

/** §1.5: find-card success carries a 4-byte IIN, all zeros in practice. */
const FIND_IIN = Buffer.alloc(4);
const SERIAL_NUMBER_BYTES = 8;
const FINGERPRINT_SIZES: readonly number[] = [0, 512, 1024];
const DEFAULT_GARBAGE = Buffer.from('00ff1337a5a55a5a', 'hex');
const PHOTO_MARKER = 'XINYI-SIMULATED-NOT-WLT';

const READ_COMMANDS: ReadonlySet<VirtualReaderCommandName> = new Set([
  'readBase',
  'readBaseWithFingerprint',
  'readNewestAddress',
]);
const COMMAND_NAMES: readonly VirtualReaderCommandName[] = [
  ...(Object.keys(SamCommand) as SamCommandName[]),
  'unknown',
  'invalidFrame',
];
const FAULT_KINDS: readonly VirtualIdCardReaderFaultKind[] = [
  'garbage',
  'bad-checksum',
  'checksum-blind-damage',
  'slow',
  'no-reply',
  'status',
  'card-pulled-mid-read',
  'unplug',
];
const FAULT_TARGETS: ReadonlySet<string> = new Set([
  'any',
  'find',
  'select',
  'read',
  ...Object.keys(SamCommand),
]);

interface Placement {
  readonly card: VirtualCard;
  found: boolean;
  selected: boolean;
}

interface QueuedFault {
  readonly fault: VirtualIdCardReaderFault;
  readonly target: FaultTarget;
  remaining: number;
}

type Received = SamCommandFrame | XinyiError;

/**
 * The device side of a second-generation ID-card reader: a SAM module answering the host protocol
 * of docs/protocols.md §1 byte-exactly, over any `Transport` (normally the `device` end of
 * `createMemoryLink()`).
 *
 * Behaviour (§1.4–§1.7):
 * - find (0x20 0x01) answers SW3 0x9F + 4 zero bytes whenever a card is on the reader, else 0x80.
 *   "One tap, one read" is the host driver's business: a card left on the reader keeps being found.
 * - select (0x20 0x02) answers 0x90 + the 8-byte serial number once find has seen this card, else 0x81.
 * - reads (0x30 0x01 / 0x30 0x10 / 0x30 0x03) need a card selected since it was placed: with no
 *   card, or before select, they answer 0x41 (read failed). 0x30 0x03 answers 0x91 when the card
 *   has no appended address. A selection lasts until the card is removed or replaced, or the SAM is
 *   reset, so 0x30 0x03 can follow 0x30 0x01 as §1.7 describes.
 * - 0x11 0xFF → 0x90; 0x12 0xFF → 0x90 + the 16-byte SAM ID; 0x10 0xFF → 0x90 and the card must be
 *   found and selected again; 0x60 xx → 0x90 and `baudRate` changes (0x21 for an undefined xx);
 *   0x61 0xFF with one data byte → 0x90.
 * - any other CMD/PARA → 0x21; a frame with a bad checksum → 0x10; a frame with an impossible
 *   length → 0x11.
 *
 * Commands are handled one at a time in arrival order, however the bytes were chunked; each waits
 * its processing delay (`setTimeout`, so fake timers drive it) and is answered from the state at
 * the end of that delay: a card removed while a read is processed makes the read fail with 0x41.
 * When the device's end of the link closes, commands not yet answered are dropped; the host closing
 * its own end changes nothing on the device (answers then go nowhere, as on a real UART).
 */
export class VirtualIdCardReader extends EventEmitter<VirtualIdCardReaderEventMap> {
  readonly #samId: Buffer;
  readonly #delays: SamProcessingDelaysMs;
  readonly #decoder = new SamCommandDecoder();
  readonly #queue: Received[] = [];
  #faults: QueuedFault[] = [];
  readonly #port = new DevicePort({
    onData: (chunk) => this.#onData(chunk),
    onClose: () => this.#abandonSession(),
    onPlugIn: () => this.emit('plug-in'),
  });
  #placement: Placement | undefined;
  #baudRate: SamBaudRate = SAM_DEFAULT_BAUD_RATE;
  #maxRfBytes: number | undefined;
  #busy = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped whenever in-flight work must be forgotten (transport closed, detached, re-attached). */
  #session = 0;
  #stats: VirtualIdCardReaderStats = emptyStats();

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: VirtualIdCardReaderOptions = {}) {
    super();
    this.#samId = resolveSamId(options.samId);
    this.#delays = resolveDelays(options.processingDelayMs);
  }

  /** True while a card lies on the reader. */
  get cardPresent(): boolean {
    return this.#placement !== undefined;
  }

  /** The card on the reader, or undefined. */
  get card(): VirtualCard | undefined {
    return this.#placement?.card;
  }

  /** The UART rate last set by the host (0x60 xx); 115200 after power-up (§1.2). */
  get baudRate(): SamBaudRate {
    return this.#baudRate;
  }

  /** The max RF frame byte count last set by the host (0x61 0xFF), or undefined. */
  get maxRfBytes(): number | undefined {
    return this.#maxRfBytes;
  }

  /** The transport the device listens on, or undefined. */
  get transport(): Transport | undefined {
    return this.#port.transport;
  }

  /** A snapshot of the counters. */
  get stats(): VirtualIdCardReaderStats {
    return {
      ...this.#stats,
      commands: { ...this.#stats.commands },
      faultsApplied: { ...this.#stats.faultsApplied },
    };
  }

  /** Zeroes the counters. */
  resetStats(): void {
    this.#stats = emptyStats();
  }

  /**
   * Starts serving the device side of a link: decodes commands from its `data` events and writes
   * responses to it. Like a reader powered by its cable, the device opens the transport itself when
   * it is closed, and opens it again after its own `'plug-in'` event (the harness's `'plug-in'`
   * listeners run first, so they can plug the link back in). After the link was unplugged and
   * plugged in from outside, call `attach` again with the same transport to power the device up.
   *
   * Attaching another transport (a new connection) detaches the previous one first. The device
   * stays attached across close/reopen of the host's end. When the device's own end closes,
   * unanswered commands are dropped.
   * @returns resolves (never rejects) once the transport is open — true — or could not be opened,
   *   e.g. because the link is unplugged — false.
   */
  attach(transport: Transport): Promise<boolean> {
    return this.#port.attach(transport);
  }

  /**
   * Stops serving the current transport (if any): unanswered commands are dropped, and the
   * transport is closed if the device opened it.
   */
  detach(): void {
    if (this.#port.detach()) this.#abandonSession();
  }

  /**
   * Lays a card on the reader (replacing any card already there: the new card must be found and
   * selected again).
   * @throws XinyiError `INVALID_ARGUMENT` when a field does not fit the card layout, the raw text is
   *   not 256 bytes, or a photo/fingerprint/serial number has the wrong size.
   */
  placeCard(card: VirtualCardSource, options: PlaceCardOptions = {}): VirtualCard {
    const built = buildCard(card, options);
    this.#placement = { card: built, found: false, selected: false };
    return built;
  }

  /** Takes the card off the reader (no-op when there is none). */
  removeCard(): void {
    this.#placement = undefined;
  }

  /**
   * Queues a fault for the next matching command(s).
   * @returns a function that withdraws the fault if it has not been used up.
   * @throws XinyiError `INVALID_ARGUMENT` for an unknown kind or target, or an out-of-range number.
   */
  injectFault(fault: VirtualIdCardReaderFault): () => void {
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
    for (const item of this.#decoder.push(chunk)) this.#queue.push(item);
    this.#pump();
  }

  #abandonSession(): void {
    this.#session++;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#decoder.reset();
    this.#busy = false;
  }

  #pump(): void {
    if (this.#busy) return;
    const item = this.#queue.shift();
    if (item === undefined) return;
    this.#busy = true;
    const session = this.#session;
    const name = classify(item);
    this.#stats.commands[name]++;
    this.#stats.commandsReceived++;
    this.emit('command', item instanceof XinyiError ? { name } : { name, cmd: item.cmd, para: item.para });
    const faults = this.#takeFaults(name);
    let delayMs = this.#delayFor(name);
    for (const f of faults) if (f.kind === 'slow') delayMs += f.delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#complete(session, item, name, faults);
    }, delayMs);
  }

  async #complete(
    session: number,
    item: Received,
    name: VirtualReaderCommandName,
    faults: VirtualIdCardReaderFault[],
  ): Promise<void> {
    const kinds = faults.map((f) => f.kind);
    for (const kind of kinds) this.#stats.faultsApplied[kind]++;
    const unplug = faults.find((f) => f.kind === 'unplug');
    if (unplug !== undefined) {
      this.#powerLoss(unplug.forMs);
      this.#finish(session);
      return;
    }

    const status = faults.find((f) => f.kind === 'status');
    const outcome: Outcome =
      status !== undefined
        ? { response: encodeSamResponse(status.sw1 ?? 0, status.sw2 ?? 0, status.sw3) }
        : this.#execute(item, name);
    if (faults.some((f) => f.kind === 'no-reply')) {
      this.#finish(session);
      return;
    }

    let frame = outcome.response;
    const sw3 = frame[9]!;
    if (faults.some((f) => f.kind === 'bad-checksum')) {
      frame = Buffer.from(frame);
      const last = frame.length - 1;
      frame[last] = frame[last]! ^ 0xff;
    }
    const damage = faults.find((f) => f.kind === 'checksum-blind-damage');
    if (damage !== undefined)
      frame = damageUnseenByChecksum(frame, damage.offset ?? 126, damage.mask ?? 0x01);
    const pulled = faults.find((f) => f.kind === 'card-pulled-mid-read');
    if (pulled !== undefined) {
      const cut = pulled.afterBytes ?? Math.floor(frame.length / 2);
      frame = frame.subarray(0, Math.min(cut, frame.length - 1));
    }
    const garbage = faults.find((f) => f.kind === 'garbage');
    const bytes = garbage !== undefined ? Buffer.concat([garbage.bytes ?? DEFAULT_GARBAGE, frame]) : frame;

    const written = await this.#write(session, bytes);
    if (pulled !== undefined) this.removeCard();
    if (written) {
      this.#stats.responsesSent++;
      this.#stats.bytesSent += bytes.length;
      this.emit('response', { name, sw3, bytes: bytes.length, faults: kinds });
      if (outcome.baudRate !== undefined) {
        this.#baudRate = outcome.baudRate;
        this.emit('baud-rate', outcome.baudRate);
      }
    }
    this.#finish(session);
  }

  #finish(session: number): void {
    if (session !== this.#session) return;
    this.#busy = false;
    this.#pump();
  }

  async #write(session: number, bytes: Buffer): Promise<boolean> {
    const transport = this.#port.transport;
    if (session !== this.#session || transport === undefined) return false;
    try {
      await transport.write(bytes);
      return true;
    } catch {
      // The host went away while we answered (CLOSED / DEVICE_DISCONNECTED): like a real reader,
      // the answer is simply lost; the close handler has already dropped the session.
      return false;
    }
  }

  /** An `unplug` fault: a power cycle resets the SAM's session (§1.2: baud back to 115200). */
  #powerLoss(forMs: number | undefined): void {
    if (this.#placement !== undefined) {
      this.#placement.found = false;
      this.#placement.selected = false;
    }
    this.#baudRate = SAM_DEFAULT_BAUD_RATE;
    this.#maxRfBytes = undefined;
    this.emit('unplug', { forMs });
    if (forMs !== undefined) this.#port.plugInAfter(forMs);
  }

  #execute(item: Received, name: VirtualReaderCommandName): Outcome {
    const ok = (data?: Uint8Array): Outcome => ({
      response: encodeSamResponse(0, 0, SamStatus.SUCCESS, data),
    });
    const fail = (sw3: number): Outcome => ({ response: encodeSamResponse(0, 0, sw3) });
    const p = this.#placement;
    if (item instanceof XinyiError) {
      return fail(
        item.code === XinyiErrorCode.FRAME_CHECKSUM ? SamStatus.RX_CHECKSUM_ERROR : SamStatus.RX_LENGTH_ERROR,
      );
    }
    switch (name) {
      case 'findCard':
        if (p === undefined) return fail(SamStatus.FIND_CARD_FAILED);
        p.found = true;
        return { response: encodeSamResponse(0, 0, SamStatus.FIND_CARD_SUCCESS, FIND_IIN) };
      case 'selectCard':
        // §1.7: find precedes select; without it (or without a card) select fails.
        if (p === undefined || !p.found) return fail(SamStatus.SELECT_CARD_FAILED);
        p.selected = true;
        return ok(p.card.serialNumber);
      case 'readBase':
      case 'readBaseWithFingerprint':
      case 'readNewestAddress': {
        // No card or no select: the read itself fails (0x41), as YinanSoft's sREAD_NO_CARD shows (§1.5).
        if (p === undefined || !p.selected) return fail(SamStatus.READ_CARD_FAILED);
        const card = p.card;
        if (name === 'readBase') return ok(encodeReadPayload({ text: card.text, photo: card.photo }));
        if (name === 'readBaseWithFingerprint') {
          return ok(encodeReadPayload({ text: card.text, photo: card.photo, fingerprint: card.fingerprint }));
        }
        if (card.appendedAddress === undefined) return fail(SamStatus.NO_CONTENT);
        return ok(encodeAppendedAddressPayload(card.appendedAddress));
      }
      case 'samStatus':
        return ok();
      case 'readSamId':
        return ok(this.#samId);
      case 'resetSam':
        if (p !== undefined) {
          p.found = false;
          p.selected = false;
        }
        return ok();
      case 'setBaudRate': {
        const rate = baudRateForPara(item.para);
        return rate === undefined ? fail(SamStatus.COMMAND_ERROR) : { ...ok(), baudRate: rate };
      }
      case 'setMaxRfBytes': {
        const value = item.data[0];
        if (item.data.length !== 1 || value === undefined) return fail(SamStatus.COMMAND_ERROR);
        this.#maxRfBytes = value;
        return ok();
      }
      case 'unknown':
      case 'invalidFrame':
        return fail(SamStatus.COMMAND_ERROR);
    }
  }

  #delayFor(name: VirtualReaderCommandName): number {
    const d = this.#delays;
    switch (name) {
      case 'findCard':
        return d.find;
      case 'selectCard':
        return d.select;
      case 'readBase':
        return d.read;
      case 'readBaseWithFingerprint':
        return d.readFingerprint;
      case 'readNewestAddress':
        return d.address;
      case 'readSamId':
        return d.samId;
      default:
        return d.status;
    }
  }

  /** Takes the first queued fault of each kind that matches, using it up. */
  #takeFaults(name: VirtualReaderCommandName): VirtualIdCardReaderFault[] {
    const taken: VirtualIdCardReaderFault[] = [];
    const kinds = new Set<VirtualIdCardReaderFaultKind>();
    for (const q of this.#faults) {
      if (kinds.has(q.fault.kind) || !targetMatches(q.target, name)) continue;
      kinds.add(q.fault.kind);
      taken.push(q.fault);
      if (q.fault.persistent !== true) q.remaining--;
    }
    this.#faults = this.#faults.filter((q) => q.remaining > 0);
    return taken;
  }
}

interface Outcome {
  response: Buffer;
  /** Set by a successful 0x60 xx: applied once the reply has been sent. */
  baudRate?: SamBaudRate;
}

function classify(item: Received): VirtualReaderCommandName {
  if (item instanceof XinyiError) return 'invalidFrame';
  if (item.cmd === SamCommand.setBaudRate.cmd) return 'setBaudRate';
  for (const name of Object.keys(SamCommand) as SamCommandName[]) {
    const code = SamCommand[name];
    if (code.cmd === item.cmd && code.para === item.para) return name;
  }
  return 'unknown';
}

function baudRateForPara(para: number): SamBaudRate | undefined {
  for (const [rate, p] of Object.entries(SAM_BAUD_RATE_PARA)) {
    if (p === para) return Number(rate) as SamBaudRate;
  }
  return undefined;
}

function targetMatches(target: FaultTarget, name: VirtualReaderCommandName): boolean {
  switch (target) {
    case 'any':
      return true;
    case 'find':
      return name === 'findCard';
    case 'select':
      return name === 'selectCard';
    case 'read':
      return READ_COMMANDS.has(name);
    default:
      return target === name;
  }
}

function emptyStats(): VirtualIdCardReaderStats {
  return {
    commands: Object.fromEntries(COMMAND_NAMES.map((n) => [n, 0])) as Record<
      VirtualReaderCommandName,
      number
    >,
    commandsReceived: 0,
    responsesSent: 0,
    bytesSent: 0,
    faultsApplied: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
      VirtualIdCardReaderFaultKind,
      number
    >,
  };
}

function invalid(code: XinyiErrorCode, message: string, details: Record<string, string | number | boolean>) {
  return new XinyiError(code, message, { details });
}

function isByte(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xff;
}

function isDelay(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function resolveSamId(samId: VirtualIdCardReaderOptions['samId']): Buffer {
  if (samId === undefined) return encodeSamIdPayload(DEFAULT_SAM_ID);
  if (samId instanceof Uint8Array) {
    if (samId.length !== SAM_ID_BYTES) {
      throw invalid(XinyiErrorCode.INVALID_OPTIONS, 'samId must be 16 bytes or five numbers', {
        option: 'samId',
      });
    }
    return Buffer.from(samId);
  }
  if (!Array.isArray(samId) || samId.length !== 5) {
    throw invalid(XinyiErrorCode.INVALID_OPTIONS, 'samId must be 16 bytes or five numbers', {
      option: 'samId',
    });
  }
  try {
    return encodeSamIdPayload(samId);
  } catch (cause) {
    throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'samId has a number out of range', {
      cause,
      details: { option: 'samId' },
    });
  }
}

function resolveDelays(given: Partial<SamProcessingDelaysMs> | undefined): SamProcessingDelaysMs {
  const delays = { ...DEFAULT_DELAYS };
  if (given === undefined) return delays;
  if (given === null || typeof given !== 'object') {
    throw invalid(XinyiErrorCode.INVALID_OPTIONS, 'processingDelayMs must be an object', {
      option: 'processingDelayMs',
    });
  }
  for (const [key, value] of Object.entries(given)) {
    const option = `processingDelayMs.${key}`;
    if (!(key in DEFAULT_DELAYS)) {
      throw invalid(XinyiErrorCode.INVALID_OPTIONS, `unknown option ${option}`, { option });
    }
    if (value === undefined) continue;
    if (!isDelay(value)) {
      throw invalid(XinyiErrorCode.INVALID_OPTIONS, `${option} must be a finite number ≥ 0`, { option });
    }
    delays[key as keyof SamProcessingDelaysMs] = value;
  }
  return delays;
}

/** Frame = preamble (5) + length (2) + SW1-SW3 (3) + data + XOR checksum: data byte i is frame byte 10 + i. */
function damageUnseenByChecksum(frame: Buffer, offset: number, mask: number): Buffer {
  const first = 10 + offset;
  const last = frame.length - 2;
  if (first >= last) return frame;
  const damaged = Buffer.from(frame);
  damaged[first] = damaged[first]! ^ mask;
  damaged[last] = damaged[last]! ^ mask;
  return damaged;
}

function validateFault(fault: VirtualIdCardReaderFault): QueuedFault {
  const bad = (message: string, field: string) =>
    invalid(XinyiErrorCode.INVALID_ARGUMENT, message, { argument: `fault.${field}` });
  if (fault === null || typeof fault !== 'object' || !FAULT_KINDS.includes(fault.kind)) {
    throw bad(`fault.kind must be one of ${FAULT_KINDS.join(', ')}`, 'kind');
  }
  const target = fault.on ?? (fault.kind === 'card-pulled-mid-read' ? 'read' : 'any');
  if (!FAULT_TARGETS.has(target)) throw bad('fault.on is not a command name or group', 'on');
  const times = fault.times ?? 1;
  if (!Number.isInteger(times) || times < 1) throw bad('fault.times must be a positive integer', 'times');
  switch (fault.kind) {
    case 'garbage':
      if (fault.bytes !== undefined && !(fault.bytes instanceof Uint8Array)) {
        throw bad('fault.bytes must be a Uint8Array', 'bytes');
      }
      break;
    case 'slow':
      if (!isDelay(fault.delayMs)) throw bad('fault.delayMs must be a finite number ≥ 0', 'delayMs');
      break;
    case 'status':
      if (!isByte(fault.sw3)) throw bad('fault.sw3 must be a byte', 'sw3');
      if (fault.sw1 !== undefined && !isByte(fault.sw1)) throw bad('fault.sw1 must be a byte', 'sw1');
      if (fault.sw2 !== undefined && !isByte(fault.sw2)) throw bad('fault.sw2 must be a byte', 'sw2');
      break;
    case 'checksum-blind-damage':
      if (fault.offset !== undefined && !(Number.isInteger(fault.offset) && fault.offset >= 0)) {
        throw bad('fault.offset must be an integer ≥ 0', 'offset');
      }
      if (fault.mask !== undefined && !(isByte(fault.mask) && fault.mask !== 0)) {
        throw bad('fault.mask must be a non-zero byte', 'mask');
      }
      break;
    case 'card-pulled-mid-read':
      if (fault.afterBytes !== undefined && !(Number.isInteger(fault.afterBytes) && fault.afterBytes >= 0)) {
        throw bad('fault.afterBytes must be an integer ≥ 0', 'afterBytes');
      }
      break;
    case 'unplug':
      if (fault.forMs !== undefined && !isDelay(fault.forMs)) {
        throw bad('fault.forMs must be a finite number ≥ 0', 'forMs');
      }
      break;
    default:
      break;
  }
  return { fault: { ...fault }, target: target as FaultTarget, remaining: times };
}

// ---------------------------------------------------------------------------------------------
// Cards

function buildCard(source: VirtualCardSource, options: PlaceCardOptions): VirtualCard {
  if (options === null || typeof options !== 'object') {
    throw invalid(XinyiErrorCode.INVALID_ARGUMENT, 'options must be an object', { argument: 'options' });
  }
  let fields: CardTextFields | undefined;
  let text: Buffer;
  let seed: string;
  if (source instanceof Uint8Array) {
    text = Buffer.from(source);
    detectCardType(text); // throws INVALID_ARGUMENT unless 256 bytes
    seed = text.toString('hex');
  } else if (source !== null && typeof source === 'object' && 'cardType' in source) {
    fields = source;
    text = encodeCardText(fields, { padding: options.padding ?? 'space' });
    seed = fields.idNumber;
  } else if (isSyntheticPerson(source)) {
    fields = cardFieldsForPerson(source);
    text = encodeCardText(fields, { padding: options.padding ?? 'space' });
    seed = source.idNumber;
  } else {
    throw invalid(
      XinyiErrorCode.INVALID_ARGUMENT,
      'card must be a SyntheticPerson, card fields with a cardType, or a 256-byte text',
      { argument: 'card' },
    );
  }

  const photo = options.photo === undefined ? simulatedPhoto(seed) : Buffer.from(options.photo);
  if (!(options.photo === undefined || options.photo instanceof Uint8Array) || photo.length > 0xffff) {
    throw invalid(XinyiErrorCode.INVALID_ARGUMENT, 'photo must be a Uint8Array', { argument: 'photo' });
  }
  const fingerprint = resolveFingerprint(options.fingerprint, seed);
  const serialNumber =
    options.serialNumber === undefined
      ? Buffer.alloc(SERIAL_NUMBER_BYTES)
      : Buffer.from(options.serialNumber);
  if (serialNumber.length !== SERIAL_NUMBER_BYTES) {
    throw invalid(XinyiErrorCode.INVALID_ARGUMENT, 'serialNumber must be 8 bytes', {
      argument: 'serialNumber',
      bytes: serialNumber.length,
    });
  }
  if (options.appendedAddress !== undefined) encodeAppendedAddressPayload(options.appendedAddress);
  return Object.freeze({
    cardType: detectCardType(text),
    fields,
    text,
    photo,
    fingerprint,
    appendedAddress: options.appendedAddress,
    serialNumber,
  });
}

function resolveFingerprint(given: PlaceCardOptions['fingerprint'], seed: string): Buffer {
  if (given === undefined) return Buffer.alloc(0);
  const bytes =
    typeof given === 'number'
      ? FINGERPRINT_SIZES.includes(given)
        ? fillerBytes(createRng(`fingerprint:${seed}`), given)
        : undefined
      : given instanceof Uint8Array
        ? Buffer.from(given)
        : undefined;
  // §1.5 / §1.11: the fingerprint file is two 512-byte templates, one, or none.
  if (bytes === undefined || !FINGERPRINT_SIZES.includes(bytes.length)) {
    throw invalid(XinyiErrorCode.INVALID_ARGUMENT, 'fingerprint must be 0, 512 or 1024 bytes', {
      argument: 'fingerprint',
    });
  }
  return bytes;
}

function fillerBytes(rng: Rng, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** §1.11: the WLT codec is proprietary, so the filler is marked as fake rather than imitating one. */
function simulatedPhoto(seed: string): Buffer {
  const photo = fillerBytes(createRng(`photo:${seed}`), WLT_PHOTO_BYTES);
  photo.write(PHOTO_MARKER, 0, 'latin1');
  return photo;
}

function isSyntheticPerson(value: unknown): value is SyntheticPerson {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.idNumber === 'string' &&
    typeof v.name === 'string' &&
    typeof v.birthDate === 'string' &&
    (v.gender === 'male' || v.gender === 'female')
  );
}
