import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XinyiError } from '../../sdk/errors.js';
import { allowedHostNames, hostHeaderName } from '../gate/local-files.js';

/**
 * What every call to `xinyi serve` passes before it is routed: a `Host` it answers to (else 421: a
 * page on a DNS name rebound to 127.0.0.1), an allow-listed `Origin` when a browser sends one (else
 * 403), and the bearer token (else 401), compared in constant time.
 */

/** The WebSocket subprotocol prefix a browser puts the token in (it cannot set `Authorization`). */
export const TOKEN_SUBPROTOCOL_PREFIX = 'xinyi-token.';
/** The subprotocol the service answers with. */
export const EVENTS_SUBPROTOCOL = 'xinyi-events.v1';

export interface RequestGuard {
  /** Refuses a foreign `Host` or `Origin`; returns the allowed origin to echo in CORS headers. */
  checkSource(req: IncomingMessage): string | undefined;
  /** Refuses a call without the token (an `Authorization: Bearer` header or, for a WebSocket, a subprotocol). */
  checkToken(req: IncomingMessage): void;
  /** CORS headers for an allowed origin (none for a call without `Origin`). */
  corsHeaders(origin: string | undefined): Record<string, string>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function createRequestGuard(options: {
  token: string;
  listenHost: string;
  allowedHosts?: readonly string[];
  allowedOrigins: readonly string[];
}): RequestGuard {
  const hostNames = allowedHostNames(options.listenHost, options.allowedHosts);
  const origins = new Set(options.allowedOrigins);
  // Digests of equal length, so the comparison takes the same time whatever the candidate's length.
  const expected = digest(options.token);
  const matches = (candidate: string) => timingSafeEqual(digest(candidate), expected);
  return {
    checkSource(req) {
      const host = hostHeaderName(req.headers.host);
      if (host === undefined || !hostNames.has(host)) {
        throw new XinyiError('API_REQUEST_REFUSED', 'Host: not a name this service answers to', {
          details: { header: 'host', status: 421 },
        });
      }
      const origin = req.headers.origin;
      if (origin === undefined) return undefined;
      // A client library that sends the service's own origin (websocket-client does) is no foreign page.
      if (origin === `http://${req.headers.host}`) return undefined;
      if (!origins.has(origin)) {
        throw new XinyiError('API_REQUEST_REFUSED', 'Origin: not in api.allowedOrigins', {
          details: { header: 'origin', status: 403 },
        });
      }
      return origin;
    },
    checkToken(req) {
      const authorization = req.headers.authorization;
      let ok = false;
      if (authorization !== undefined) {
        const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization);
        ok = match !== null && matches(match[1]!);
      } else {
        const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
          .split(',')
          .map((p) => p.trim());
        const offered = protocols.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
        ok = offered !== undefined && matches(offered.slice(TOKEN_SUBPROTOCOL_PREFIX.length));
      }
      if (!ok) {
        throw new XinyiError(
          'API_UNAUTHORIZED',
          authorization === undefined
            ? 'no bearer token: send Authorization: Bearer <the token in api.tokenFile>'
            : 'wrong bearer token',
          { details: { header: 'authorization' } },
        );
      }
    },
    corsHeaders(origin): Record<string, string> {
      if (origin === undefined) return {};
      return {
        'access-control-allow-origin': origin,
        vary: 'Origin',
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, idempotency-key, last-event-id',
        'access-control-expose-headers': 'idempotent-replayed',
        'access-control-max-age': '600',
      };
    },
  };
}

/** The HTTP status an error is answered with. */
export function statusOf(error: XinyiError): number {
  const explicit = error.details.status;
  if (typeof explicit === 'number') return explicit;
  switch (error.code) {
    case 'API_UNAUTHORIZED':
      return 401;
    case 'API_NOT_FOUND':
      return 404;
    case 'API_BODY_TOO_LARGE':
      return 413;
    case 'IDEMPOTENCY_KEY_INVALID':
      return error.details.problem === 'reused' ? 422 : 400;
    case 'WAIT_TIMEOUT':
      return 408;
    case 'EVENTS_GAP':
      return 410;
    case 'CLOSED':
    case 'API_BUSY':
    case 'JOURNAL_UNAVAILABLE':
    case 'JOURNAL_FULL':
      return 503;
    case 'INVALID_ARGUMENT':
    case 'CREDENTIAL_INVALID':
    case 'ID_NUMBER_INVALID':
      return 400;
    default:
      return 500;
  }
}

/** The one error shape of the API: `{ "error": { "code", "message", "details" } }`. */
export function errorBody(error: XinyiError): string {
  const { status: _status, ...details } = error.details;
  return JSON.stringify({ error: { code: error.code, message: error.message, details } });
}

export function sendError(
  res: ServerResponse,
  error: XinyiError,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(statusOf(error), {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...headers,
    })
    .end(errorBody(error));
}
