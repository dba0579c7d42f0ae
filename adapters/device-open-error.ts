import { constants } from 'node:fs';
import { isAbsolute } from 'node:path';
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
  // hidapi's hidraw backend on a node that is not a hidraw device (an input event node, a tty).
  [
    /ENOTTY|Inappropriate ioctl/i,
    { code: 'DEVICE_NOT_FOUND', reason: 'ENOTTY', explanation: 'it is not a device of that kind' },
  ],
];

/** What an operator does about a serial port that cannot be opened, by code. */
export const SERIAL_PORT_HINTS = {
  DEVICE_NOT_FOUND: 'check the path (ls -l /dev/serial/by-id/) and the cable',
  DEVICE_PERMISSION_DENIED:
    "add the daemon's user to the port's group (usermod -aG dialout USER, then log in again)",
  DEVICE_BUSY: 'another program has it open (fuser -v PATH names it)',
} as const;

/** What an operator does about a HID device (a USB scanner) that cannot be opened, by code. */
export const HID_DEVICE_HINTS = {
  DEVICE_NOT_FOUND: 'check the path and the cable (xinyi devices lists HID devices; ls -l /dev/hidraw*)',
  DEVICE_PERMISSION_DENIED:
    "give the daemon's user the hidraw node with a udev rule (docs/scanners.md, Linux permissions)",
  DEVICE_BUSY: 'another program has it open (fuser -v PATH names it)',
} as const;

/**
 * Looks at a device node as `fs.accessSync(path, mode)` does: returns when it may be used, throws an
 * errno error (`code` `ENOENT`, `EACCES`, …) when not. Tests pass their own, since root may open anything.
 */
export type DeviceNodeAccess = (path: string, mode: number) => void;

export interface DeviceOpenErrorOptions {
  /**
   * For a cause whose words name no reason (node-hid's `cannot open device with path …` from its libusb
   * backend or an older release): the node at `target`, when it is an absolute path, is looked at
   * with this for read and write access, and its errno becomes the reason (missing: not found; not
   * readable and writable by this user: permission denied).
   */
  access?: DeviceNodeAccess;
}

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
  options: DeviceOpenErrorOptions = {},
): XinyiError {
  if (isXinyiError(cause)) return cause;
  const { errno, text } = osReason(cause);
  let words = ownWords(text, errno);
  let failure = failureOf(`${errno ?? ''} ${text}`);
  if (failure === undefined && options.access !== undefined && isAbsolute(target)) {
    const node = nodeAccessFailure(target, options.access);
    failure = node.failure;
    // The driver's words, then the system's about the node.
    if (node.osMessage !== undefined) words = `${words}; ${node.osMessage}`;
  }
  failure ??= {
    code: 'DEVICE_NOT_FOUND' as const,
    reason: errno ?? 'UNKNOWN',
    explanation: 'it cannot be opened',
  };
  const osMessage = words.slice(0, 300);
  const hint = hints[failure.code];
  return new XinyiError(
    failure.code,
    `cannot open ${kind} ${target}: ${failure.explanation} (${failure.reason}: ${osMessage})${hint ? `; ${hint}` : ''}`,
    { cause, details: { path: target, reason: failure.reason, osMessage } },
  );
}

function failureOf(words: string): OpenFailure | undefined {
  return FAILURES.find(([pattern]) => pattern.test(words))?.[1];
}

/** The system's words without the `Error:` and errno name they sometimes start with (given apart). */
function ownWords(text: string, errno: string | undefined): string {
  const bare = text.replace(/^Error:?\s*/, '');
  return errno !== undefined && /^[A-Z0-9_]+$/.test(errno) && bare.startsWith(`${errno}: `)
    ? bare.slice(errno.length + 2)
    : bare;
}

/**
 * Why the node at `path` cannot be used, by its errno, as far as `access` can tell. A node this user
 * may read and write gives no failure of its own: then the driver refused it for its own reasons
 * (explained as such, reason `UNKNOWN`).
 */
function nodeAccessFailure(
  path: string,
  access: DeviceNodeAccess,
): { failure: OpenFailure | undefined; osMessage?: string } {
  try {
    access(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    const { errno, text } = osReason(error);
    if (errno === undefined) return { failure: undefined };
    return { failure: failureOf(`${errno} ${text}`), osMessage: `${errno}: ${ownWords(text, errno)}` };
  }
  return {
    failure: {
      code: 'DEVICE_NOT_FOUND',
      reason: 'UNKNOWN',
      explanation: 'it exists and this user may read and write it, but the driver cannot open it',
    },
    osMessage: `access ${path}: read and write allowed`,
  };
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
