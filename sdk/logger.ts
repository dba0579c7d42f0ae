import { checkDigit } from './identity/resident-id.js';

/**
 * A pino-compatible structured logger: `logger.info({ decisionId }, 'decision made')`.
 * The SDK never passes raw ID numbers or names to it.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/** 15- or 18-character resident ID numbers standing alone: scrubbed by shape, checksum or not. */
const ID_NUMBER_LIKE = /(?<![0-9A-Za-z])\d{6}(?:\d{9}|\d{11}[0-9Xx])(?![0-9A-Za-z])/g;
/**
 * 18 digits (the last may be X) glued to letters, or split by spaces or dashes (`110101 19900307 123X`):
 * scrubbed when the GB 11643 check digit holds (one in eleven digit runs), so a hash or a long
 * counter is mostly not taken for one.
 * Foreign permanent-residence numbers of the 2023 format are 18 digits too (leading 9).
 */
const ID_NUMBER_SPREAD =
  /(?<!\d)\d(?:[ \t\u00a0\u3000\-\u2010-\u2015]?\d){16}[ \t\u00a0\u3000\-\u2010-\u2015]?[\dXx](?!\d)/g;
/** Foreign permanent-residence numbers of the 2004 format: three letters (the nationality) and 12 digits. */
const FOREIGN_RESIDENCE_2004 = /(?<![A-Za-z])[A-Z]{3}\d{12}(?!\d)/g;

/** Full-width digits and X (０-９, Ｘ, ｘ) as ASCII: one UTF-16 unit each, so positions stay the same. */
function asciiDigits(text: string): string {
  return text.replace(/[\uff10-\uff19\uff38\uff58]/g, (ch) => {
    const code = ch.charCodeAt(0);
    if (code === 0xff38) return 'X';
    if (code === 0xff58) return 'x';
    return String.fromCharCode(code - 0xff10 + 0x30);
  });
}

/** Replaces every form of an ID number in `text`, then each of `names`. */
function scrubText(text: string, names: readonly string[]): string {
  let out = text;
  if (/[0-9\uff10-\uff19]/.test(out)) {
    const ascii = asciiDigits(out);
    const ranges: [number, number][] = [];
    for (const m of ascii.matchAll(ID_NUMBER_LIKE)) ranges.push([m.index, m.index + m[0].length]);
    for (const m of ascii.matchAll(ID_NUMBER_SPREAD)) {
      const digits = m[0].replace(/[^0-9Xx]/g, '').toUpperCase();
      if (checkDigit(digits.slice(0, 17)) === digits[17]) {
        ranges.push([m.index, m.index + m[0].length]);
      }
    }
    for (const m of ascii.matchAll(FOREIGN_RESIDENCE_2004)) ranges.push([m.index, m.index + m[0].length]);
    if (ranges.length > 0) {
      ranges.sort((a, b) => b[0] - a[0]);
      let lastStart = Number.POSITIVE_INFINITY;
      for (const [start, end] of ranges) {
        if (end > lastStart) continue; // overlaps a range already replaced
        out = `${out.slice(0, start)}[id-number]${out.slice(end)}`;
        lastStart = start;
      }
    }
  }
  for (const name of names) if (name.length >= 2) out = out.split(name).join('[name]');
  return out;
}

function scrub(value: unknown, names: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value, names);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  // Deeper than this (or round a cycle) nothing is written, rather than something left unscrubbed.
  if (depth > 4) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, names, depth + 1));
  const out: Record<string, unknown> = {};
  // Keys too: a map keyed by ID number is as bad as a value holding one.
  for (const [k, v] of Object.entries(value)) out[scrubText(k, names)] = scrub(v, names, depth + 1);
  return out;
}

export interface JsonLoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** @default process.stdout.write */
  write?: (line: string) => void;
  /** Fields on every line. */
  base?: Record<string, unknown>;
  /**
   * Name forms to scrub (replaced with `[name]`), read at each line: a host that holds the names of
   * the people it serves (a hospital desk's appointment list) passes them here. Forms shorter than two
   * characters are ignored.
   */
  names?: () => readonly string[];
}

/**
 * A logger that writes one JSON object per line (pino's shape: `level`, `time`, `msg`, fields), for
 * daemons whose output goes to journald or a log shipper. As a last line of defence it replaces
 * anything shaped like an ID number with `[id-number]`; the SDK never passes one in the first place.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const base = options.base ?? {};
  const log = (level: LogLevel) => (obj: object, msg?: string) => {
    if (LEVELS[level] < threshold) return;
    const names = options.names?.() ?? [];
    const fields = scrub(obj, names) as Record<string, unknown>;
    const text = msg === undefined ? undefined : scrub(msg, names);
    write(`${JSON.stringify({ level, time: new Date().toISOString(), ...base, ...fields, msg: text })}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
