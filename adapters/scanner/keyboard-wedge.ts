import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import type { Scan } from './scan.js';
import { parseAimPrefix } from './symbology.js';

// HID boot keyboard input report (docs/protocols.md §2.1, tinyusb hid_keyboard_report_t):
//   [modifier][reserved = 0][key1][key2][key3][key4][key5][key6]
// A character is one press report followed by an all-zero release report.

/** Size of a HID boot keyboard input report (§2.1). */
export const BOOT_REPORT_BYTES = 8;

/** Modifier bit b1, left Shift (§2.1). */
export const MODIFIER_LEFT_SHIFT = 0x02;
/** Modifier bit b5, right Shift (§2.1). */
export const MODIFIER_RIGHT_SHIFT = 0x20;
const SHIFT_BITS = MODIFIER_LEFT_SHIFT | MODIFIER_RIGHT_SHIFT;
/** Ctrl, Alt and GUI on either side: a chord with any of them is a shortcut, not text. */
const CHORD_BITS = 0xff & ~SHIFT_BITS;

/** Usage IDs of the terminator keys (§2.1): Enter, Tab and keypad Enter. */
export const USAGE_ENTER = 0x28;
export const USAGE_TAB = 0x2b;
export const USAGE_KEYPAD_ENTER = 0x58;

// HID Usage Tables, Keyboard page: 0x01–0x03 are the ErrorRollOver / POSTFail / ErrorUndefined
// states a keyboard reports in every key slot when too many keys are down; they are not keys.
const FIRST_REAL_USAGE = 0x04;

/**
 * Default gap between two key presses that ends a burst: §2.1 (⚠️ KeyboardBarcodeScanner treats
 * ≥ 40 ms as a break; the scanners it measured send a key every 1–19 ms).
 */
export const WEDGE_DEFAULT_BREAK_GAP_MS = 40;
/**
 * Default time a terminator key is held before it ends the scan: `WEDGE_DEFAULT_BREAK_GAP_MS`. A
 * scanner types a line break inside a symbol as Enter, then the next line's keys at its burst pace
 * (1–19 ms a key, §2.1); a key that comes later than the break gap starts a new burst anyway.
 */
export const WEDGE_DEFAULT_LINE_GAP_MS = WEDGE_DEFAULT_BREAK_GAP_MS;
/** Default silence after the last key press that ends a scan: §2.1 (200 ms in KeyboardBarcodeScanner). */
export const WEDGE_DEFAULT_END_SILENCE_MS = 200;
/**
 * Default minimum scan length: KeyboardBarcodeScanner (the source §2.1 cites) only parses buffers
 * of more than 4 characters.
 */
export const WEDGE_DEFAULT_MIN_LENGTH = 5;
/** Default maximum scan length in characters; above every 2D symbol's capacity (QR: 7089 digits). */
export const WEDGE_DEFAULT_MAX_LENGTH = 8192;

/** US layout, usage ID → [unshifted, shifted] (§2.1, tinyusb HID_KEYCODE_TO_ASCII). */
const US_LAYOUT: ReadonlyMap<number, readonly [string, string]> = buildUsLayout();

function buildUsLayout(): Map<number, readonly [string, string]> {
  const map = new Map<number, readonly [string, string]>();
  for (let i = 0; i < 26; i++) {
    const lower = String.fromCharCode(0x61 + i);
    map.set(0x04 + i, [lower, lower.toUpperCase()]);
  }
  const digits = '1234567890';
  const shiftedDigits = '!@#$%^&*()';
  for (let i = 0; i < 10; i++) map.set(0x1e + i, [digits[i]!, shiftedDigits[i]!]);
  map.set(0x2c, [' ', ' ']);
  const punctuation: Array<[number, string, string]> = [
    [0x2d, '-', '_'],
    [0x2e, '=', '+'],
    [0x2f, '[', '{'],
    [0x30, ']', '}'],
    [0x31, '\\', '|'],
    [0x32, '#', '~'], // non-US # key
    [0x33, ';', ':'],
    [0x34, "'", '"'],
    [0x35, '`', '~'],
    [0x36, ',', '<'],
    [0x37, '.', '>'],
    [0x38, '/', '?'],
  ];
  for (const [usage, plain, shifted] of punctuation) map.set(usage, [plain, shifted]);
  // Keypad `/ * - +`, then (after keypad Enter 0x58) `1…9 0 .`; shift does not change them here.
  const keypad: Array<[number, string]> = [
    [0x54, '/'],
    [0x55, '*'],
    [0x56, '-'],
    [0x57, '+'],
    [0x62, '0'],
    [0x63, '.'],
  ];
  for (let d = 1; d <= 9; d++) keypad.push([0x58 + d, String(d)]);
  for (const [usage, ch] of keypad) map.set(usage, [ch, ch]);
  return map;
}

/** Character → [usage, needs shift] for the encoder: main keys only (no keypad, no non-US #). */
const US_REVERSE: ReadonlyMap<string, readonly [number, boolean]> = buildUsReverse();

function buildUsReverse(): Map<string, readonly [number, boolean]> {
  const reverse = new Map<string, readonly [number, boolean]>();
  for (const [usage, [plain, shifted]] of US_LAYOUT) {
    if (usage === 0x32 || usage >= 0x54) continue;
    if (!reverse.has(plain)) reverse.set(plain, [usage, false]);
    if (!reverse.has(shifted)) reverse.set(shifted, [usage, true]);
  }
  reverse.set('\r', [USAGE_ENTER, false]);
  reverse.set('\n', [USAGE_ENTER, false]);
  reverse.set('\t', [USAGE_TAB, false]);
  return reverse;
}

/** A key that ends a scan when the scanner sends it as its suffix. */
export type WedgeTerminator = 'enter' | 'tab';

/** Options for `KeyboardWedgeDecoder`. Times are in the caller's clock (any monotonic milliseconds). */
export interface KeyboardWedgeDecoderOptions {
  /**
   * Keys that end a scan. Enter includes keypad Enter. A key not listed here is text (`\r`, `\t`).
   * @default ['enter', 'tab']
   */
  terminators?: readonly WedgeTerminator[];
  /**
   * A gap of this many milliseconds or more between two key presses means a person is typing, or a
   * new scan started: the keys before the gap form their own sequence.
   * @default WEDGE_DEFAULT_BREAK_GAP_MS (40, §2.1)
   */
  breakGapMs?: number;
  /**
   * How long a terminator (Enter, Tab) is held before it ends the scan. A key pressed within this
   * time means the terminator was a line break inside one symbol: it is kept in the text as `\r`
   * (Tab as `\t`) and the symbol arrives whole, so a QR code of several lines is one scan, which the
   * scanner refuses as `multi-line`, instead of one scan per line. The scan ends when `poll(nowMs)`
   * or the next `push` comes this long after the terminator (`nextDeadlineMs` says when). `0` ends a
   * scan at its terminator at once and gives up that protection. At most `breakGapMs`: a key later
   * than that starts a new burst anyway.
   * @default breakGapMs (WEDGE_DEFAULT_LINE_GAP_MS, 40)
   */
  lineGapMs?: number;
  /**
   * With no terminator, a scan ends this long after its last key press (checked by `poll(nowMs)`
   * and by the next `push`).
   * @default WEDGE_DEFAULT_END_SILENCE_MS (200, §2.1)
   */
  endSilenceMs?: number;
  /** A burst shorter than this (in characters) is rejected as `too-short`. @default 5 */
  minLength?: number;
  /** A burst longer than this is rejected as `too-long` and the rest of it ignored. @default 8192 */
  maxLength?: number;
  /** Take a leading AIM identifier (`]Q1`…, §2.4) off the text and name the symbology from it. @default true */
  aimPrefix?: boolean;
}

/** Why key presses were not taken as a scan. */
export type WedgeRejectReason =
  /** The keys came with gaps of `breakGapMs` or more: a person typing, not a scanner. */
  | 'typed'
  /** A fast burst, but shorter than `minLength`. */
  | 'too-short'
  /** A burst longer than `maxLength`. */
  | 'too-long';

/** Key presses the decoder did not take as a scan. */
export interface KeyboardWedgeRejection {
  kind: 'rejected';
  reason: WedgeRejectReason;
  /** What was typed (empty for `too-long`). A person typed it: may be personal, never log it. */
  text: string;
  /** Characters rejected. */
  length: number;
}

/** What `KeyboardWedgeDecoder` returns: a scan, rejected typing, or a malformed report in its place. */
export type KeyboardWedgeOutput = Scan | KeyboardWedgeRejection | XinyiError;

/** True for the rejection entries of `KeyboardWedgeDecoder` output. */
export function isWedgeRejection(value: unknown): value is KeyboardWedgeRejection {
  return value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'rejected';
}

/**
 * Sans-I/O decoder for a scanner in keyboard-wedge mode read as a raw HID boot keyboard (§2.1):
 * 8-byte reports in, scans out. The caller passes each report with its arrival time and calls
 * `poll(nowMs)` when it wants a scan without terminator to end on silence (`nextDeadlineMs` says
 * when); the decoder keeps no timers.
 *
 * - Keys: the US layout of §2.1 with either Shift; a chord with Ctrl, Alt or GUI, and keys with no
 *   character (Esc, Backspace, CapsLock, F-keys…) are ignored. Enter/Tab end a scan when listed in
 *   `terminators`.
 * - Rollover: a key counts once, in the first report that holds it; it is pressed again only after
 *   a report without it. So a key repeated without a release report in between is one press (HID
 *   semantics), while two different keys in consecutive reports are two presses; several new keys
 *   in one report are taken in slot order. All-zero release reports only update the held keys.
 * - Timing: key presses less than `breakGapMs` apart form a burst. A burst of at least `minLength`
 *   characters is a scan when a terminator followed by `lineGapMs` without a key, `endSilenceMs` of
 *   silence, a gap before the next key, or `flush()` ends it. A terminator followed by a key sooner
 *   than `lineGapMs` is a line break inside the symbol and stays in its text. Shorter bursts, and keys separated by gaps, are typing: they are returned
 *   as one `{ kind: 'rejected', reason: 'typed' }` (or `'too-short'` for a single fast but short
 *   burst) when the typing ends, just before any scan that follows it.
 * - A report that is not 8 bytes is returned as `FRAME_LENGTH` in its place; the state is unchanged.
 */
export class KeyboardWedgeDecoder {
  readonly #terminatorUsages: ReadonlySet<number>;
  readonly #breakGapMs: number;
  readonly #lineGapMs: number;
  readonly #endSilenceMs: number;
  readonly #minLength: number;
  readonly #maxLength: number;
  readonly #aimPrefix: boolean;

  #held: ReadonlySet<number> = new Set();
  #burst = '';
  #typed = '';
  #typedHasGap = false;
  #discarding = false;
  #lastKeyMs: number | undefined;
  /** A terminator pressed after a burst, held for `lineGapMs`: its text and when it was pressed. */
  #heldTerminator: { text: string; atMs: number } | undefined;

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: KeyboardWedgeDecoderOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw badOption('options', 'options must be an object when given');
    }
    const terminators = options.terminators ?? ['enter', 'tab'];
    if (!Array.isArray(terminators) || !terminators.every((t) => t === 'enter' || t === 'tab')) {
      throw badOption('terminators', "terminators must be an array of 'enter' and 'tab'");
    }
    const usages = new Set<number>();
    if (terminators.includes('enter')) {
      usages.add(USAGE_ENTER);
      usages.add(USAGE_KEYPAD_ENTER);
    }
    if (terminators.includes('tab')) usages.add(USAGE_TAB);
    this.#terminatorUsages = usages;
    this.#breakGapMs = positive('breakGapMs', options.breakGapMs, WEDGE_DEFAULT_BREAK_GAP_MS);
    const lineGapMs = options.lineGapMs ?? Math.min(WEDGE_DEFAULT_LINE_GAP_MS, this.#breakGapMs);
    if (typeof lineGapMs !== 'number' || !Number.isFinite(lineGapMs) || lineGapMs < 0) {
      throw badOption('lineGapMs', 'lineGapMs must be a finite number ≥ 0');
    }
    if (lineGapMs > this.#breakGapMs) {
      throw badOption('lineGapMs', 'lineGapMs must be at most breakGapMs (a later key starts a new burst)');
    }
    this.#lineGapMs = lineGapMs;
    this.#endSilenceMs = positive('endSilenceMs', options.endSilenceMs, WEDGE_DEFAULT_END_SILENCE_MS);
    this.#minLength = count('minLength', options.minLength, WEDGE_DEFAULT_MIN_LENGTH, 1);
    this.#maxLength = count('maxLength', options.maxLength, WEDGE_DEFAULT_MAX_LENGTH, this.#minLength);
    if (options.aimPrefix !== undefined && typeof options.aimPrefix !== 'boolean') {
      throw badOption('aimPrefix', 'aimPrefix must be a boolean');
    }
    this.#aimPrefix = options.aimPrefix ?? true;
  }

  /** Characters held back: the burst in progress (a held terminator included) and typing not yet reported. */
  get pending(): number {
    return this.#burst.length + (this.#heldTerminator === undefined ? 0 : 1) + this.#typed.length;
  }

  /**
   * When `poll` would end what is pending (a held terminator + `lineGapMs`, else the last key press +
   * `endSilenceMs`), or undefined when nothing is pending. A driver sets its timer to this.
   */
  get nextDeadlineMs(): number | undefined {
    if (this.#heldTerminator !== undefined) return this.#heldTerminator.atMs + this.#lineGapMs;
    if (this.#lastKeyMs === undefined || !this.#hasPending()) return undefined;
    return this.#lastKeyMs + this.#endSilenceMs;
  }

  /**
   * Feeds one input report received at `atMs`; returns every scan, rejection or error it completed,
   * in order (a silence before it is applied first).
   * @throws XinyiError `INVALID_ARGUMENT` when `atMs` is not a finite number.
   */
  push(report: Uint8Array, atMs: number): KeyboardWedgeOutput[] {
    assertTime('atMs', atMs);
    const out: KeyboardWedgeOutput[] = [];
    this.#endOnSilence(atMs, out);
    if (report.length !== BOOT_REPORT_BYTES) {
      out.push(
        new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'keyboard report is not 8 bytes', {
          details: { reportBytes: report.length, expectedBytes: BOOT_REPORT_BYTES },
        }),
      );
      return out;
    }
    const modifier = report[0]!;
    const keys: number[] = [];
    for (let i = 2; i < BOOT_REPORT_BYTES; i++) {
      const usage = report[i]!;
      if (usage !== 0) keys.push(usage);
    }
    // A rollover-error report says nothing about which keys are down: keep the previous state.
    if (keys.some((usage) => usage < FIRST_REAL_USAGE)) return out;
    const previouslyHeld = this.#held;
    this.#held = new Set(keys);
    // A usage listed twice in one report is still one key.
    for (const usage of this.#held) {
      if (previouslyHeld.has(usage)) continue;
      this.#press(usage, modifier, atMs, out);
    }
    return out;
  }

  /**
   * Ends what is pending if `nowMs` is at least `lineGapMs` after a held terminator, or `endSilenceMs`
   * after the last key press.
   */
  poll(nowMs: number): KeyboardWedgeOutput[] {
    assertTime('nowMs', nowMs);
    const out: KeyboardWedgeOutput[] = [];
    this.#endOnSilence(nowMs, out);
    return out;
  }

  /** Ends what is pending now, as silence would (a burst long enough is a scan). */
  flush(): KeyboardWedgeOutput[] {
    const out: KeyboardWedgeOutput[] = [];
    this.#endSequence(out);
    return out;
  }

  /** Forgets everything, held keys included, without reporting it (e.g. after the device was reopened). */
  reset(): void {
    this.#held = new Set();
    this.#burst = '';
    this.#typed = '';
    this.#typedHasGap = false;
    this.#discarding = false;
    this.#lastKeyMs = undefined;
    this.#heldTerminator = undefined;
  }

  #hasPending(): boolean {
    return this.#burst.length > 0 || this.#typed.length > 0 || this.#discarding;
  }

  #endOnSilence(nowMs: number, out: KeyboardWedgeOutput[]): void {
    const held = this.#heldTerminator;
    if (held !== undefined && nowMs - held.atMs >= this.#lineGapMs) {
      // No key followed the terminator: it was the scan's suffix.
      this.#endSequence(out);
      return;
    }
    if (this.#lastKeyMs !== undefined && nowMs - this.#lastKeyMs >= this.#endSilenceMs) {
      this.#endSequence(out);
    }
  }

  #press(usage: number, modifier: number, atMs: number, out: KeyboardWedgeOutput[]): void {
    if ((modifier & CHORD_BITS) !== 0) return;
    const terminator = this.#terminatorUsages.has(usage);
    let ch = '';
    if (!terminator) {
      const layout = US_LAYOUT.get(usage);
      if (layout !== undefined) ch = (modifier & SHIFT_BITS) !== 0 ? layout[1] : layout[0];
      else if (usage === USAGE_ENTER || usage === USAGE_KEYPAD_ENTER) ch = '\r';
      else if (usage === USAGE_TAB) ch = '\t';
      else return;
    }

    const held = this.#heldTerminator;
    if (held !== undefined) {
      this.#heldTerminator = undefined;
      // A key sooner than lineGapMs after it (push ended the sequence otherwise): a line break inside
      // the symbol, kept in its text.
      this.#appendToBurst(held.text, out);
    }
    if (this.#lastKeyMs !== undefined && atMs - this.#lastKeyMs >= this.#breakGapMs) {
      if (this.#burst.length > 0) this.#closeBurstOnGap(out);
      // A runaway burst (too long) is over once the keys pause; what follows may be a new scan.
      this.#discarding = false;
    }
    this.#lastKeyMs = atMs;
    if (terminator) {
      if (this.#lineGapMs === 0 || this.#discarding || this.#burst.length === 0) this.#endSequence(out);
      else this.#heldTerminator = { text: usage === USAGE_TAB ? '\t' : '\r', atMs };
      return;
    }
    this.#appendToBurst(ch, out);
  }

  #appendToBurst(ch: string, out: KeyboardWedgeOutput[]): void {
    if (this.#discarding) return;
    this.#burst += ch;
    if (this.#burst.length > this.#maxLength) {
      this.#flushTyped(out);
      out.push({ kind: 'rejected', reason: 'too-long', text: '', length: this.#burst.length });
      this.#burst = '';
      this.#discarding = true;
    }
  }

  /** A gap ended the burst: a scan without terminator when long enough, else typing. */
  #closeBurstOnGap(out: KeyboardWedgeOutput[]): void {
    if (this.#burst.length >= this.#minLength) {
      this.#flushTyped(out);
      this.#pushScan(this.#burst, out);
    } else {
      this.#typed += this.#burst;
      this.#typedHasGap = true;
      // Typing that never pauses long enough to end is reported in pieces: never held without bound.
      if (this.#typed.length > this.#maxLength) this.#flushTyped(out);
    }
    this.#burst = '';
  }

  /** A terminator, silence or flush ended the sequence. */
  #endSequence(out: KeyboardWedgeOutput[]): void {
    if (this.#discarding) {
      this.#discarding = false;
      this.#flushTyped(out);
    } else if (this.#burst.length >= this.#minLength) {
      this.#flushTyped(out);
      this.#pushScan(this.#burst, out);
    } else {
      this.#typed += this.#burst;
      this.#flushTyped(out);
    }
    this.#burst = '';
    this.#lastKeyMs = undefined;
    this.#heldTerminator = undefined;
  }

  #flushTyped(out: KeyboardWedgeOutput[]): void {
    if (this.#typed.length > 0) {
      const reason: WedgeRejectReason = this.#typedHasGap ? 'typed' : 'too-short';
      out.push({ kind: 'rejected', reason, text: this.#typed, length: this.#typed.length });
    }
    this.#typed = '';
    this.#typedHasGap = false;
  }

  #pushScan(raw: string, out: KeyboardWedgeOutput[]): void {
    const scan = this.#toScan(raw);
    // A burst that was only an AIM identifier carries no data: skipped, as the serial and HID POS decoders do.
    if (scan.text.length > 0) out.push(scan);
  }

  #toScan(raw: string): Scan {
    if (this.#aimPrefix) {
      const { aimId, symbology, rest } = parseAimPrefix(raw);
      if (aimId !== undefined) return { text: rest, symbology, source: 'keyboard-wedge', aimId };
    }
    return { text: raw, symbology: 'unknown', source: 'keyboard-wedge' };
  }
}

/** Options for `encodeWedgeReports`. */
export interface EncodeWedgeOptions {
  /** Suffix key sent after the text, as a scanner's suffix setting would. @default 'enter' */
  terminator?: WedgeTerminator | 'none';
  /** Which Shift the scanner holds for shifted characters. @default 'left' */
  shift?: 'left' | 'right';
  /**
   * Fault simulation: leave out the release report after every keystroke (`true`) or after the
   * keystrokes at these indices (0-based; the terminator counts as the last keystroke).
   * @default false
   */
  dropRelease?: boolean | readonly number[];
}

/** One keystroke: its press report, and its release report unless dropped. */
export interface WedgeKeystroke {
  press: Buffer;
  release: Buffer | undefined;
}

/**
 * The keystrokes a keyboard-wedge scanner sends for `text` (§2.1): per character a press report
 * (modifier, 0, usage, 0…) and an all-zero release report, then the terminator. `\r` and `\n` are
 * sent as Enter, `\t` as Tab.
 * @throws XinyiError `INVALID_ARGUMENT` when `text` holds a character the US layout cannot type
 *   (`details.index`), or an option is malformed.
 */
export function encodeWedgeKeystrokes(text: string, options: EncodeWedgeOptions = {}): WedgeKeystroke[] {
  if (typeof text !== 'string') throw badArgument('text', 'text must be a string');
  const terminator = options.terminator ?? 'enter';
  if (terminator !== 'enter' && terminator !== 'tab' && terminator !== 'none') {
    throw badArgument('terminator', "terminator must be 'enter', 'tab' or 'none'");
  }
  const shift = options.shift ?? 'left';
  if (shift !== 'left' && shift !== 'right') throw badArgument('shift', "shift must be 'left' or 'right'");
  const dropRelease = options.dropRelease ?? false;
  if (
    typeof dropRelease !== 'boolean' &&
    !(Array.isArray(dropRelease) && dropRelease.every((i) => Number.isInteger(i)))
  ) {
    throw badArgument('dropRelease', 'dropRelease must be a boolean or an array of indices');
  }
  const shiftBit = shift === 'left' ? MODIFIER_LEFT_SHIFT : MODIFIER_RIGHT_SHIFT;
  const strokes: Array<[number, number]> = [];
  let index = 0;
  for (const ch of text) {
    const key = US_REVERSE.get(ch);
    if (key === undefined) {
      throw new XinyiError(
        XinyiErrorCode.INVALID_ARGUMENT,
        'text has a character the US layout cannot type',
        {
          details: { argument: 'text', index, codePoint: ch.codePointAt(0) ?? 0 },
        },
      );
    }
    strokes.push([key[1] ? shiftBit : 0, key[0]]);
    index++;
  }
  if (terminator === 'enter') strokes.push([0, USAGE_ENTER]);
  else if (terminator === 'tab') strokes.push([0, USAGE_TAB]);
  const dropped = new Set(typeof dropRelease === 'boolean' ? [] : dropRelease);
  return strokes.map(([modifier, usage], i) => {
    const press = Buffer.alloc(BOOT_REPORT_BYTES);
    press[0] = modifier;
    press[2] = usage;
    const drop = dropRelease === true || dropped.has(i);
    return { press, release: drop ? undefined : Buffer.alloc(BOOT_REPORT_BYTES) };
  });
}

/**
 * `encodeWedgeKeystrokes` flattened: the report sequence for `text`, press then release per
 * keystroke. For example `'A1'` is `02 00 04 00 00 00 00 00`, `00…00`, `00 00 1E 00 00 00 00 00`,
 * `00…00`, `00 00 28 00 00 00 00 00`, `00…00` (§2.1).
 * @throws XinyiError `INVALID_ARGUMENT` as `encodeWedgeKeystrokes`.
 */
export function encodeWedgeReports(text: string, options: EncodeWedgeOptions = {}): Buffer[] {
  const reports: Buffer[] = [];
  for (const { press, release } of encodeWedgeKeystrokes(text, options)) {
    reports.push(press);
    if (release !== undefined) reports.push(release);
  }
  return reports;
}

function badOption(option: string, message: string): XinyiError {
  return new XinyiError(XinyiErrorCode.INVALID_OPTIONS, message, { details: { option } });
}

function badArgument(argument: string, message: string): XinyiError {
  return new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, message, { details: { argument } });
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw badOption(option, `${option} must be a finite number > 0`);
  }
  return value;
}

function count(option: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw badOption(option, `${option} must be an integer ≥ ${min}`);
  }
  return value;
}

function assertTime(argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw badArgument(argument, `${argument} must be a finite number of milliseconds`);
  }
}
