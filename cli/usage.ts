import { isXinyiError, XinyiError } from '../sdk/errors.js';

/** Exit codes of the `xinyi` command. */
export const EXIT_OK = 0;
/** The work failed (or `doctor` found problems). */
export const EXIT_FAILURE = 1;
/** The command line was wrong: unknown command or flag, a missing or bad argument. */
export const EXIT_USAGE = 2;
/** `xinyi gate`, `xinyi serve`: another one holds the data folder or a device (`ALREADY_RUNNING`); a supervisor should not restart it. */
export const EXIT_ALREADY_RUNNING = 3;

/**
 * How the reader runs `xinyi`, for the commands a hint tells them to type: the installed bin, or from a
 * checkout (the sources run through tsx) `npm run xinyi --`.
 */
export function xinyiInvocation(script = process.argv[1] ?? ''): string {
  return /\.[cm]?ts$/.test(script) ? 'npm run xinyi --' : 'xinyi';
}

/**
 * A wrong command line, as opposed to work that failed: `xinyi` prints it with a pointer to the
 * command's help and exits with {@link EXIT_USAGE}.
 */
export function usageError(command: string, message: string): XinyiError {
  return new XinyiError('INVALID_ARGUMENT', `xinyi ${command}: ${message}`, { details: { usage: command } });
}

/** The command whose usage `error` is about, when it is a usage error (ours or `parseArgs`'s). */
export function usageErrorCommand(error: unknown, current: string): string | undefined {
  if (isXinyiError(error) && typeof error.details.usage === 'string') return error.details.usage;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) return current;
  return undefined;
}

/** The one line `xinyi` prints for a failure, and the exit code that goes with it. */
export function describeFailure(error: unknown, command: string): { line: string; exitCode: number } {
  const usageOf = usageErrorCommand(error, command);
  const message = firstLine(error instanceof Error ? error.message : String(error));
  if (usageOf !== undefined) {
    // parseArgs adds advice about `--` to an unknown option, which is noise here.
    const reason = message.replace(/\. To specify a positional argument.*$/, '');
    const line = reason.startsWith('xinyi ') ? reason : `xinyi ${usageOf}: ${lowerFirst(reason)}`;
    return { line: `${line} (see: ${xinyiInvocation()} help ${usageOf})`, exitCode: EXIT_USAGE };
  }
  if (isXinyiError(error)) {
    // A configuration with several problems lists them all, one per line after the first.
    const whole =
      typeof error.details.problems === 'number' && error.details.problems > 1 ? error.message : message;
    const exitCode = error.code === 'ALREADY_RUNNING' ? EXIT_ALREADY_RUNNING : EXIT_FAILURE;
    return { line: `xinyi: ${error.code}: ${whole}`, exitCode };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // Node's system errors repeat their code at the start of the message ("ENOENT: no such file…").
    const rest = message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
    return { line: `xinyi: ${code}: ${rest}`, exitCode: EXIT_FAILURE };
  }
  const name = error instanceof Error ? error.name : 'Error';
  return { line: `xinyi: ${name}: ${message}`, exitCode: EXIT_FAILURE };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
