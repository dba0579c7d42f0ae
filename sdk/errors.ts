/**
 * Every error the SDK raises or returns is an `XinyiError` with a stable string `code`.
 * Third-party errors are translated at exactly one boundary and kept in `cause`.
 * Messages never contain raw ID numbers or names.
 */
export const XinyiErrorCode = {
  /** Raised when an options object passed to a constructor or factory is invalid; the message names the option. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** Raised when a function argument is malformed (wrong type, out of range). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** Raised when a policy pack fails validation; the message names the bad field by its path. */
  POLICY_PACK_INVALID: 'POLICY_PACK_INVALID',
  /** Raised when a holiday calendar's data is malformed. */
  CALENDAR_INVALID: 'CALENDAR_INVALID',
  /**
   * Raised when a signed document (a holiday calendar or a policy pack from the platform or a file) is
   * refused before its content is read: too large, not an envelope, signed by a key the trust list
   * does not name for its usage, a bad signature, a wrong format, version or issue time, or older than
   * (or conflicting with) the one held. `details.reason` is a `SignedDocumentProblem`, `details.documentUsage`
   * the document's kind and `details.field` the field at fault. The document held before is kept.
   */
  DOCUMENT_INVALID: 'DOCUMENT_INVALID',
  /** Raised when a resident ID number fails GB 11643 (length, region, birth date or check digit). */
  ID_NUMBER_INVALID: 'ID_NUMBER_INVALID',
  /**
   * Raised when a credential cannot be turned into a subject: an empty text, or an organisation's
   * unified social credit code that fails GB 32100 / GB 11714 or a licence QR payload that carries no
   * usable code. `details.problem` names the rule that failed; the code itself is never in the
   * message or the details.
   */
  CREDENTIAL_INVALID: 'CREDENTIAL_INVALID',
  /** Raised when the credit-resolver chain did not produce a standing within the decision deadline. */
  CREDIT_TIMEOUT: 'CREDIT_TIMEOUT',
  /** Raised when the credit platform refused the terminal's credentials (HTTP 401/403). */
  CREDIT_UNAUTHORIZED: 'CREDIT_UNAUTHORIZED',
  /** Raised when the credit platform or a resolver failed for another reason (network, 5xx, bad body). */
  CREDIT_UNAVAILABLE: 'CREDIT_UNAVAILABLE',
  /** Raised when a signed credit code's issuer or holder signature does not verify. */
  CODE_SIGNATURE_INVALID: 'CODE_SIGNATURE_INVALID',
  /** Raised when a device frame's length field is impossible or the frame was cut short. */
  FRAME_LENGTH: 'FRAME_LENGTH',
  /** Raised when a device frame's checksum does not match its content. */
  FRAME_CHECKSUM: 'FRAME_CHECKSUM',
  /**
   * Raised when a frame arrived whole but its content cannot be what the device sends: a scanner line
   * that is not text, card text that fails its own checks. Line noise, or damage a checksum missed.
   */
  FRAME_GARBLED: 'FRAME_GARBLED',
  /** Raised when a device disappeared (port closed, USB unplugged). */
  DEVICE_DISCONNECTED: 'DEVICE_DISCONNECTED',
  /**
   * Raised when a device's port cannot be opened because it is not there: no such path (ENOENT), no
   * device behind it (ENXIO, ENODEV), an I/O error, a TCP link refused. It may appear later (plugged in,
   * powered on): the daemon keeps trying. `details.path`, `details.reason` (errno) and `details.osMessage`.
   */
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  /**
   * Raised when a device's port exists but the operating system refuses this user (EACCES, EPERM):
   * the operator must grant access (a group such as `dialout`, a udev rule). The daemon refuses to
   * start on it. `details.path`, `details.reason`, `details.osMessage`.
   */
  DEVICE_PERMISSION_DENIED: 'DEVICE_PERMISSION_DENIED',
  /**
   * Raised when a device's port is held by another process (EBUSY, or the exclusive lock serialport
   * takes on open). `details.path`, `details.reason`, `details.osMessage`.
   */
  DEVICE_BUSY: 'DEVICE_BUSY',
  /**
   * Raised when another gate daemon already holds the lock on this data folder or device (the lock
   * file names its pid): `details.pid`, `details.lockFile`, `details.resource`. `xinyi gate` exits 3.
   */
  ALREADY_RUNNING: 'ALREADY_RUNNING',
  /** Raised when a device answered a command with an error status (an ID-card reader's SW3, a gate's fault code). */
  DEVICE_STATUS: 'DEVICE_STATUS',
  /** Raised when a device did not answer a command within its timeout. */
  DEVICE_TIMEOUT: 'DEVICE_TIMEOUT',
  /** Raised when an optional native module (serialport, node-hid) is not installed or fails to load. */
  NATIVE_MODULE_UNAVAILABLE: 'NATIVE_MODULE_UNAVAILABLE',
  /**
   * Raised when a program the SDK runs is not installed (socat for PTY pairs, udevadm for listing
   * serial ports, ffmpeg for cameras, redis-server for the simulator): `details.program`, and the
   * install command in the message.
   */
  SYSTEM_PROGRAM_UNAVAILABLE: 'SYSTEM_PROGRAM_UNAVAILABLE',
  /** Raised when an operation is attempted on a closed terminal or device. */
  CLOSED: 'CLOSED',
  /** Raised when the caller's `AbortSignal` stopped an operation before it finished; the signal's reason is the `cause`. */
  ABORTED: 'ABORTED',
  /** Raised when a signed credit code was refused for a reason other than a bad signature; `details.reason` names it. */
  CODE_REFUSED: 'CODE_REFUSED',
  /** Raised when a signed trust list is malformed, badly signed or expired; `details.reason` names it. */
  TRUST_LIST_INVALID: 'TRUST_LIST_INVALID',
  /** Raised when a signed revocation status list is malformed or badly signed; `details.reason` names it. */
  STATUS_LIST_INVALID: 'STATUS_LIST_INVALID',
  /** Raised when an offline credit snapshot is truncated, malformed or of an unsupported format; `details.reason` names it. */
  SNAPSHOT_INVALID: 'SNAPSHOT_INVALID',
  /** Raised when an offline credit snapshot's Ed25519 signature verifies under none of the trusted keys. */
  SNAPSHOT_SIGNATURE_INVALID: 'SNAPSHOT_SIGNATURE_INVALID',
  /** Raised when a snapshot is not newer than the applied one, or a delta's base is not the applied sequence. */
  SNAPSHOT_SEQUENCE_MISMATCH: 'SNAPSHOT_SEQUENCE_MISMATCH',
  /** Raised when the local snapshot database cannot be opened, read or written. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** Raised when the decision journal cannot be opened or written (read-only file, I/O error); the decision is not acted on. */
  JOURNAL_UNAVAILABLE: 'JOURNAL_UNAVAILABLE',
  /** Raised when the journal's disk is full; the decision is not acted on and an alarm is raised. */
  JOURNAL_FULL: 'JOURNAL_FULL',
  /** Raised when the platform refused an upload batch for good (4xx other than 409); the batch stays in the outbox. */
  UPLOAD_REJECTED: 'UPLOAD_REJECTED',
  /** Raised when a daemon configuration file is missing, not JSON (`details.line`/`column`), or fails validation; the message lists every problem by its field path. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** Raised when a gate refused or could not carry out a command (open, close), or reported a fault. */
  GATE_COMMAND_FAILED: 'GATE_COMMAND_FAILED',
  /**
   * Raised when the site store (the shared SQLite file, Redis) cannot be reached or did not answer
   * within the lane's per-call budget; `details.reason` says how. The lane decides from local state.
   */
  SITE_STATE_UNAVAILABLE: 'SITE_STATE_UNAVAILABLE',
  /**
   * Raised when a platform lookup answer is not authenticated: no answer signature, one that does not
   * verify under a `platform-response` key of the trust list, or one that answers another question
   * (pseudonym, scene, terminal, nonce) or comes from another time; `details.reason` names which. The
   * answer is not used and the terminal asks its next source.
   */
  PLATFORM_RESPONSE_INVALID: 'PLATFORM_RESPONSE_INVALID',
  /**
   * Raised when a platform answer or download is larger than its byte limit (by its `Content-Length`,
   * or as it streams in): the transfer is cut off at the limit and nothing of it is used;
   * `details.limitBytes` and `details.kind` say which limit.
   */
  PLATFORM_RESPONSE_TOO_LARGE: 'PLATFORM_RESPONSE_TOO_LARGE',
  /** Raised by `xinyi serve` when a call carries no bearer token or the wrong one (HTTP 401). */
  API_UNAUTHORIZED: 'API_UNAUTHORIZED',
  /**
   * Raised by `xinyi serve` when a call's `Host` header is not a name the service answers to (HTTP 421,
   * DNS rebinding) or its `Origin` is not in `api.allowedOrigins` (HTTP 403); `details.header` says which.
   */
  API_REQUEST_REFUSED: 'API_REQUEST_REFUSED',
  /** Raised by `xinyi serve` for a path or method it does not serve (404, 405), or a decision id its journal does not hold (404). */
  API_NOT_FOUND: 'API_NOT_FOUND',
  /** Raised by `xinyi serve` when a request body is larger than `api.maxBodyBytes` (HTTP 413), or a WebSocket message too large. */
  API_BODY_TOO_LARGE: 'API_BODY_TOO_LARGE',
  /**
   * Raised by `xinyi serve` for a POST without an `Idempotency-Key` (400) or one whose key was used
   * before with a different request (422); `details.problem` is `missing`, `malformed` or `reused`.
   */
  IDEMPOTENCY_KEY_INVALID: 'IDEMPOTENCY_KEY_INVALID',
  /** Raised by `xinyi serve` when no card was tapped and no code scanned within a `present` call's wait (HTTP 408). */
  WAIT_TIMEOUT: 'WAIT_TIMEOUT',
  /**
   * Raised by `xinyi serve` when an event-stream client asks to resume after a sequence number the
   * service no longer holds (HTTP 410, WebSocket close 4410): `details.oldestSeq` is the oldest it holds.
   */
  EVENTS_GAP: 'EVENTS_GAP',
  /** Raised by `xinyi serve` when `api.maxEventClients` event-stream clients are connected already (HTTP 503). */
  API_BUSY: 'API_BUSY',
  /** Raised by `xinyi serve` for a failure it did not foresee (HTTP 500); its log has the cause. */
  API_INTERNAL_ERROR: 'API_INTERNAL_ERROR',
} as const;

export type XinyiErrorCode = (typeof XinyiErrorCode)[keyof typeof XinyiErrorCode];

const BRAND = Symbol.for('xinyi-terminal.XinyiError');

export interface XinyiErrorOptions {
  cause?: unknown;
  /** Small, non-personal facts that help diagnosis (option names, byte counts, status words). */
  details?: Readonly<Record<string, string | number | boolean>>;
}

export class XinyiError extends Error {
  override readonly name = 'XinyiError' as const;
  readonly code: XinyiErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: XinyiErrorCode, message: string, options: XinyiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    // A brand survives two copies of the class (ESM and CJS builds loaded side by side).
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any `XinyiError`, including one created by another copy of the package (ESM vs CJS). */
export function isXinyiError(value: unknown, code?: XinyiErrorCode): value is XinyiError {
  if (value === null || typeof value !== 'object') return false;
  const branded = value instanceof XinyiError || (value as Record<symbol, unknown>)[BRAND] === true;
  return branded && (code === undefined || (value as XinyiError).code === code);
}
