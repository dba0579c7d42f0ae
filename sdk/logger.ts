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
