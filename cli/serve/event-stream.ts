import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { EventLog, ServeEvent } from './event-log.js';
import { errorBody, statusOf } from './request-guard.js';

/**
 * `xinyi serve`'s event stream, over a WebSocket (`/v1/events/ws`) and as server-sent events
 * (`GET /v1/events`). Both start with a `hello` (the epoch, the last and oldest sequence numbers held),
 * then send every event after the client's `since`, then each new event as it happens. `since` is
 * `EPOCH.SEQ` (as events' SSE ids are) or a bare `SEQ`: a client resumes from its last event without
 * losing one, or is told `EVENTS_GAP` when the service no longer holds what it missed or restarted.
 */

/** Client messages are only pings; anything longer is closed with 1009 by `ws`. */
export const MAX_CLIENT_MESSAGE_BYTES = 4_096;
/** A client that lets this much pile up unread is dropped (1013); it resumes from its last sequence. */
const MAX_BUFFERED_BYTES = 4 * 1_048_576;
const KEEPALIVE_MS = 30_000;

/** `since` as a client gives it: `EPOCH.SEQ`, `SEQ`, or nothing (only new events). */
export function parseSince(value: string | null | undefined, log: EventLog): number {
  if (value === null || value === undefined || value === '') return log.lastSeq;
  const dot = value.lastIndexOf('.');
  const epoch = dot === -1 ? undefined : value.slice(0, dot);
  const seqText = dot === -1 ? value : value.slice(dot + 1);
  if (!/^\d{1,15}$/.test(seqText)) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      'since: must be SEQ or EPOCH.SEQ (the id of the last event seen)',
      {
        details: { field: 'since' },
      },
    );
  }
  if (epoch !== undefined && epoch !== log.epoch) {
    throw new XinyiError('EVENTS_GAP', 'the service restarted since that event: read the state again', {
      details: { oldestSeq: log.oldestSeq, lastSeq: log.lastSeq, epoch: log.epoch },
    });
  }
  return Number(seqText);
}

function helloOf(log: EventLog) {
  return { type: 'hello', epoch: log.epoch, lastSeq: log.lastSeq, oldestSeq: log.oldestSeq };
}

function frameOf(event: ServeEvent, epoch: string) {
  return JSON.stringify({ ...event, id: `${epoch}.${event.seq}` });
}

export interface EventStreams {
  /** Serves `GET /v1/events` (the caller has checked the token). */
  serveSse(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void;
  /** Completes a WebSocket upgrade to `/v1/events/ws` (the caller has checked the token). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string | undefined): void;
  readonly clients: number;
  /** Closes every stream (1001 going away). */
  close(): void;
}

export function createEventStreams(options: { log: EventLog; maxClients: number }): EventStreams {
  const { log } = options;
  const closers = new Set<() => void>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('xinyi-events.v1') ? 'xinyi-events.v1' : false),
  });

  const busy = () =>
    new XinyiError('API_BUSY', `${options.maxClients} event-stream clients are connected already`, {
      details: { maxEventClients: options.maxClients },
    });

  const serveWebSocket = (ws: WebSocket, since: string | null) => {
    let from: ServeEvent[];
    try {
      from = log.since(parseSince(since, log));
    } catch (error) {
      const e = isXinyiError(error) ? error : new XinyiError('INVALID_ARGUMENT', 'since: unusable');
      ws.send(JSON.stringify({ type: 'error', ...JSON.parse(errorBody(e)) }));
      ws.close(e.code === 'EVENTS_GAP' ? 4410 : 4400, e.code);
      return;
    }
    ws.send(JSON.stringify(helloOf(log)));
    const send = (event: ServeEvent) => {
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(1013, 'too far behind: resume from the last sequence');
        return;
      }
      ws.send(frameOf(event, log.epoch));
    };
    for (const event of from) send(event);
    const unsubscribe = log.subscribe(send);
    let alive = true;
    const keepalive = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, KEEPALIVE_MS);
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data, isBinary) => {
      // The only message a client sends: {"type":"ping"}, answered with the newest sequence number.
      if (!isBinary && data.toString() === '{"type":"ping"}') {
        ws.send(JSON.stringify({ type: 'pong', lastSeq: log.lastSeq }));
      }
    });
    const close = () => ws.close(1001, 'service stopping');
    closers.add(close);
    ws.on('close', () => {
      unsubscribe();
      clearInterval(keepalive);
      closers.delete(close);
    });
    ws.on('error', () => ws.terminate());
  };

  return {
    get clients() {
      return closers.size;
    },
    serveSse(req, res, headers) {
      if (closers.size >= options.maxClients) throw busy();
      const url = new URL(req.url ?? '/', 'http://service');
      const lastEventId = req.headers['last-event-id'];
      const since = parseSince(
        (Array.isArray(lastEventId) ? lastEventId[0] : lastEventId) ?? url.searchParams.get('since'),
        log,
      );
      const from = log.since(since);
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`event: hello\ndata: ${JSON.stringify(helloOf(log))}\n\n`);
      const send = (event: ServeEvent) => {
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          res.destroy();
          return;
        }
        res.write(
          `id: ${log.epoch}.${event.seq}\nevent: ${event.type}\ndata: ${frameOf(event, log.epoch)}\n\n`,
        );
      };
      for (const event of from) send(event);
      const unsubscribe = log.subscribe(send);
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      const close = () => res.end();
      closers.add(close);
      res.on('close', () => {
        unsubscribe();
        clearInterval(keepalive);
        closers.delete(close);
      });
    },
    upgrade(req, socket, head, _protocol) {
      if (closers.size >= options.maxClients) {
        const e = busy();
        socket.end(
          `HTTP/1.1 ${statusOf(e)} Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${errorBody(e)}`,
        );
        return;
      }
      const since = new URL(req.url ?? '/', 'http://service').searchParams.get('since');
      wss.handleUpgrade(req, socket, head, (ws) => serveWebSocket(ws, since));
    },
    close() {
      for (const close of [...closers]) close();
      wss.close();
    },
  };
}
