import { isXinyiError, XinyiError, type XinyiErrorCode } from '../sdk/errors.js';

/** Why the operating system refused to open a device, in the terms an operator acts on. */
interface OpenFailure {
  code: XinyiErrorCode;
  /** The errno name (`ENOENT`, `EACCES`, `EBUSY`, …), or `UNKNOWN`. */
  reason: string;
  explanation: string;
}

// serialport's binding reports `Error: <strerror>, cannot open <path>` and, when another process holds
// the port's flock, `Error Resource temporarily unavailable Cannot lock port`: no errno property, so the
// strerror text is matched as well as a `code`.
const FAILURES: ReadonlyArray<readonly [RegExp, OpenFailure]> = [
  [
    /ENOENT|No such file or directory/i,
    { code: 'DEVICE_NOT_FOUND', reason: 'ENOENT', explanation: 'it does not exist' },
  ],
  [
    /EACCES|Permission denied/i,
    { code: 'DEVICE_PERMISSION_DENIED', reason: 'EACCES', explanation: 'permission denied' },
  ],
  [
    /EPERM|Operation not permitted/i,
    { code: 'DEVICE_PERMISSION_DENIED', reason: 'EPERM', explanation: 'operation not permitted' },
  ],
  [
    /EBUSY|EAGAIN|Cannot lock port|Resource busy|temporarily unavailable/i,
    { code: 'DEVICE_BUSY', reason: 'EBUSY', explanation: 'another process holds it' },
  ],
  [
    /ENXIO|ENODEV|No such device/i,
    { code: 'DEVICE_NOT_FOUND', reason: 'ENXIO', explanation: 'no device answers at that path' },
  ],
  [
    /EIO|Input\/output error/i,
    { code: 'DEVICE_NOT_FOUND', reason: 'EIO', explanation: 'input/output error' },
  ],
];

/** What an operator does about a serial port that cannot be opened, by code. */
export const SERIAL_PORT_HINTS = {
  DEVICE_NOT_FOUND: 'check the path (ls -l /dev/serial/by-id/) and the cable',
  DEVICE_PERMISSION_DENIED:
    "add the daemon's user to the port's group (usermod -aG dialout USER, then log in again)",
  DEVICE_BUSY: 'another program has it open (fuser -v PATH names it)',
} as const;

/** The errno name and the operating system's own words for an open failure, as far as the cause has them. */
function osReason(cause: unknown): { errno: string | undefined; text: string } {
  if (cause instanceof Error) {
    const { code, errno } = cause as { code?: unknown; errno?: unknown };
    const name = typeof code === 'string' ? code : typeof errno === 'string' ? errno : undefined;
    return { errno: name, text: cause.message };
  }
  return { errno: undefined, text: String(cause) };
}

/**
 * Translates the operating system's refusal to open a device (`target`: a serial path, a USB
 * vendor:product) into `DEVICE_NOT_FOUND` (ENOENT, ENXIO, EIO: it may appear later),
 * `DEVICE_PERMISSION_DENIED` (EACCES, EPERM: the operator must grant access) or `DEVICE_BUSY` (EBUSY,
 * a held lock: another process has it). The message names the device, the explanation and the errno;
 * `details` carries `path`, `reason` (the errno name) and `osMessage` (the system's own words), and the
 * original error stays in `cause`. An `XinyiError` is returned as it is.
 */
export function deviceOpenError(
  kind: string,
  target: string,
  cause: unknown,
  hints: Partial<Record<XinyiErrorCode, string>> = {},
): XinyiError {
  if (isXinyiError(cause)) return cause;
  const { errno, text } = osReason(cause);
  const failure = FAILURES.find(([pattern]) => pattern.test(`${errno ?? ''} ${text}`))?.[1] ?? {
    code: 'DEVICE_NOT_FOUND' as const,
    reason: errno ?? 'UNKNOWN',
    explanation: 'it cannot be opened',
  };
  const osMessage = text.replace(/^Error:?\s*/, '').slice(0, 200);
  const hint = hints[failure.code];
  return new XinyiError(
    failure.code,
    `cannot open ${kind} ${target}: ${failure.explanation} (${failure.reason}: ${osMessage})${hint ? `; ${hint}` : ''}`,
    { cause, details: { path: target, reason: failure.reason, osMessage } },
  );
}

/** True for the open failures that no retry can fix: the operator has to act (install, grant access). */
export function needsOperator(error: unknown): boolean {
  return (
    isXinyiError(error) &&
    (error.code === 'DEVICE_PERMISSION_DENIED' ||
      error.code === 'NATIVE_MODULE_UNAVAILABLE' ||
      error.code === 'SYSTEM_PROGRAM_UNAVAILABLE')
  );
}
