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

/** 15- or 18-character resident ID numbers, wherever they appear in a string. */
const ID_NUMBER_LIKE = /(?<![0-9A-Za-z])\d{6}(?:\d{9}|\d{11}[0-9Xx])(?![0-9A-Za-z])/g;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(ID_NUMBER_LIKE, '[id-number]');
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  // Deeper than this (or round a cycle) nothing is written, rather than something left unscrubbed.
  if (depth > 4) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

/**
 * A logger that writes one JSON object per line (pino's shape: `level`, `time`, `msg`, fields), for
 * daemons whose output goes to journald or a log shipper. As a last line of defence it replaces
 * anything shaped like an ID number with `[id-number]`; the SDK never passes one in the first place.
 */
export function createJsonLogger(
  options: { level?: LogLevel; write?: (line: string) => void; base?: Record<string, unknown> } = {},
): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const base = options.base ?? {};
  const log = (level: LogLevel) => (obj: object, msg?: string) => {
    if (LEVELS[level] < threshold) return;
    const fields = scrub(obj) as Record<string, unknown>;
    const text = msg === undefined ? undefined : scrub(msg);
    write(`${JSON.stringify({ level, time: new Date().toISOString(), ...base, ...fields, msg: text })}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
