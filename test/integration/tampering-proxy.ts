import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

/**
 * A man in the middle on loopback: a reverse proxy in front of a platform that forwards requests and
 * answers, and on request rewrites them, replays an answer captured earlier, strips headers, or
 * answers itself with an endless body. The client under test is pointed at `url`.
 */

export interface Exchange {
  method: string;
  /** Path with query, as on the request line. */
  target: string;
  requestHeaders: IncomingHttpHeaders;
  requestBody: Buffer;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ProxyRule {
  /** Only requests to this path (query ignored); others pass through. @default every path */
  path?: string;
  /** Only the first `times` matching requests; the later ones pass through. @default every one */
  times?: number;
  /** Changes the request before it is forwarded (its headers, in place). */
  request?: (headers: IncomingHttpHeaders, body: Buffer) => void;
  /** The answer to send instead of the platform's (which is in `exchange`). */
  answer?: (exchange: Exchange) => Answer;
  /**
   * Answer 200 with `bytes` of filler without asking the platform, streamed with backpressure;
   * `declareLength` sends a truthful `Content-Length`, otherwise the body is chunked. With `gzip`
   * the filler is sent gzip-compressed (`Content-Encoding: gzip`): a small body that inflates to
   * `bytes`, a decompression bomb.
   */
  hostileBody?: { bytes: number; declareLength: boolean; gzip?: boolean };
}

export interface TamperingProxy {
  readonly url: string;
  /** Every forwarded exchange, in order (answers as the platform sent them). */
  readonly exchanges: Exchange[];
  /** Bytes of hostile bodies written before the client hung up, per request. */
  readonly hostileBytesSent: number[];
  /** Requests served by the current rule (reset by `setRule`). */
  readonly ruleHits: number;
  setRule(rule: ProxyRule | null): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-length'];

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !HOP_BY_HOP.includes(name)) headers[name] = value;
  }
  headers['content-length'] = answer.body.length;
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

async function streamHostile(res: ServerResponse, bytes: number, declareLength: boolean): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x7b); // '{', endlessly
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(declareLength ? { 'content-length': bytes } : {}),
  });
  let sent = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  while (sent < bytes && !closed) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
    sent += piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!closed) res.end();
  return sent;
}

/** Starts the proxy on 127.0.0.1 (a free port) in front of `upstream` (an http:// base URL). */
export async function startTamperingProxy(upstream: string): Promise<TamperingProxy> {
  const target = new URL(upstream);
  const exchanges: Exchange[] = [];
  const hostileBytesSent: number[] = [];
  let rule: ProxyRule | null = null;
  let ruleHits = 0;

  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<Answer>((resolve, reject) => {
      const upstreamHeaders: OutgoingHttpHeaders = { ...headers, host: target.host };
      delete upstreamHeaders.connection;
      upstreamHeaders['content-length'] = body.length;
      const req = httpRequest(
        { host: target.hostname, port: target.port, method, path, headers: upstreamHeaders },
        (res) => {
          readAll(res).then(
            (answerBody) =>
              resolve({ status: res.statusCode ?? 502, headers: res.headers, body: answerBody }),
            reject,
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const applies =
        rule !== null &&
        (rule.path === undefined || rule.path === path.split('?')[0]) &&
        (rule.times === undefined || ruleHits < rule.times);
      const active = applies ? rule : null;
      if (active) ruleHits++;
      if (active?.hostileBody?.gzip) {
        const bomb = gzipSync(Buffer.alloc(active.hostileBody.bytes, 0x20));
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length });
        res.end(bomb);
        hostileBytesSent.push(bomb.length);
        return;
      }
      if (active?.hostileBody) {
        hostileBytesSent.push(
          await streamHostile(res, active.hostileBody.bytes, active.hostileBody.declareLength),
        );
        return;
      }
      const headers = { ...req.headers };
      active?.request?.(headers, body);
      let answer: Answer;
      try {
        answer = await forward(method, path, headers, body);
      } catch {
        res.destroy();
        return;
      }
      const exchange: Exchange = {
        method,
        target: path,
        requestHeaders: headers,
        requestBody: body,
        ...answer,
      };
      exchanges.push(exchange);
      send(res, active?.answer ? active.answer(exchange) : answer);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname === '/' ? '' : target.pathname}`,
    exchanges,
    hostileBytesSent,
    get ruleHits() {
      return ruleHits;
    },
    setRule(next) {
      rule = next;
      ruleHits = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The JSON body of a lookup request (its pseudonym, scene, terminal id). */
export function lookupQuestionOf(exchange: Pick<Exchange, 'requestBody'>): Record<string, unknown> {
  return JSON.parse(exchange.requestBody.toString('utf8')) as Record<string, unknown>;
}
