import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { PassageBehaviour } from '../devices/virtual-gate-core.js';
import type { SiteDevice } from '../simulated-site.js';
import type { CodeDevice, Simulation, SimulationEventMap, SimulationFault } from './simulation.js';

export interface PanelServerOptions {
  simulation: Simulation;
  /** Loopback port. @default 7300 (0: any free port) */
  port?: number;
  /** Where index.html, panel.css and panel.js are. @default the `static` folder next to this module */
  staticDir?: string;
}

export interface PanelServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly port: number;
  /** Sends an event to every open panel (the scenario player reports its progress through it). */
  publish(event: 'scenario', data: unknown): void;
  close(): Promise<void>;
}

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/panel.css': { file: 'panel.css', type: 'text/css; charset=utf-8' },
  '/panel.js': { file: 'panel.js', type: 'text/javascript; charset=utf-8' },
};

// Everything the page loads comes from this server: no CDN, no inline script, nothing from the network.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const SSE_EVENTS: readonly (keyof SimulationEventMap)[] = [
  'decision',
  'gate',
  'status',
  'passage',
  'code',
  'restart',
];
const MAX_BODY_BYTES = 16_384;
const KEEPALIVE_MS = 15_000;

function findStaticDir(): string {
  // From the sources: ./static next to this file. From the built package (tsup bundles this module into
  // a chunk), the files are copied to dist/panel-static.
  const candidates = ['./static/', './panel-static/', '../panel-static/'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new XinyiError('INVALID_ARGUMENT', 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const value: unknown = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          reject(new XinyiError('INVALID_ARGUMENT', 'the body must be a JSON object'));
        } else {
          resolve(value as Record<string, unknown>);
        }
      } catch (cause) {
        reject(new XinyiError('INVALID_ARGUMENT', 'the body is not JSON', { cause }));
      }
    });
    req.on('error', reject);
  });
}

function integer(body: Record<string, unknown>, name: string): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new XinyiError('INVALID_ARGUMENT', `${name} must be an integer`);
  }
  return value;
}

function optionalInteger(body: Record<string, unknown>, name: string): number | undefined {
  return body[name] === undefined || body[name] === null ? undefined : integer(body, name);
}

/**
 * The simulator's control panel on 127.0.0.1: the page (three plain files), the simulation's state as
 * JSON, live updates as server-sent events, and the controls as JSON POSTs. Requests must name this
 * host (no DNS rebinding) and POSTs must be JSON (a cross-site form cannot send one without CORS).
 */
export async function startPanelServer(options: PanelServerOptions): Promise<PanelServer> {
  const { simulation } = options;
  const staticDir = options.staticDir ?? findStaticDir();
  const clients = new Set<ServerResponse>();
  let scenario: unknown = null;
  let port = 0;

  const broadcast = (event: string, data: unknown) => {
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of clients) client.write(message);
  };
  const listeners = SSE_EVENTS.map((event) => {
    const listener = (data: unknown) => broadcast(event, data);
    simulation.on(event, listener as never);
    return () => simulation.off(event, listener as never);
  });

  const state = () => {
    const shown = simulation.shownCode();
    return {
      people: simulation.people(),
      gate: simulation.gate(),
      gates: simulation.gates(),
      status: simulation.status(),
      decisions: simulation.decisions(),
      code: shown ? { seq: shown.seq, person: shown.person, via: shown.via } : null,
      scenario,
    };
  };

  const actions: Record<string, (body: Record<string, unknown>) => Promise<void> | void> = {
    tap: (body) => {
      // Answered once the card is on the reader; the decision arrives as an event.
      void simulation
        .tap(integer(body, 'person'), optionalInteger(body, 'lane') ?? 0)
        .catch((error: unknown) => broadcast('problem', describe(error)));
    },
    code: (body) => {
      const via = (body.via ?? 'scanner') as CodeDevice;
      if (via !== 'scanner' && via !== 'camera')
        throw new XinyiError('INVALID_ARGUMENT', 'via: scanner or camera');
      return simulation.showCode(integer(body, 'person'), via, optionalInteger(body, 'lane') ?? 0);
    },
    screenshot: (body) => simulation.showScreenshot(integer(body, 'lane')),
    fault: (body) => {
      if (typeof body.on !== 'boolean') throw new XinyiError('INVALID_ARGUMENT', 'on must be true or false');
      simulation.setFault(body.fault as SimulationFault, body.on, optionalInteger(body, 'valueMs'));
    },
    unplug: (body) => simulation.unplug(body.device as SiteDevice, optionalInteger(body, 'forMs')),
    revoke: (body) => simulation.revoke(integer(body, 'person'), body.on !== false),
    clock: (body) => {
      const date = body.date;
      if (date !== null && typeof date !== 'string') {
        throw new XinyiError('INVALID_ARGUMENT', 'date must be YYYY-MM-DD, an ISO date-time, or null');
      }
      return simulation.setClock(date === '' ? null : date);
    },
    behaviour: (body) => simulation.setBehaviour(body.behaviour as PassageBehaviour),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return sendJson(res, 421, { error: 'MISDIRECTED', message: 'the panel answers on 127.0.0.1 only' });
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET') {
      const file = STATIC_FILES[path];
      if (file) {
        const body = readFileSync(join(staticDir, file.file));
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, 'content-length': body.length });
        return res.end(body);
      }
      if (path === '/api/state') return sendJson(res, 200, state());
      if (path === '/api/code.svg' || path === '/api/camera.png') {
        const shown = simulation.shownCode();
        const svg = path.endsWith('.svg');
        const body = svg ? shown?.svg : shown?.cameraPng;
        if (body === undefined) return sendJson(res, 404, { error: 'NOT_FOUND' });
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': svg ? 'image/svg+xml' : 'image/png',
          'content-length': Buffer.byteLength(body),
        });
        return res.end(body);
      }
      if (path === '/api/events') {
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/event-stream; charset=utf-8',
          connection: 'keep-alive',
        });
        // The whole state first, so a page that (re)connects misses nothing.
        res.write(`retry: 1000\nevent: state\ndata: ${JSON.stringify(state())}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
      return sendJson(res, 404, { error: 'NOT_FOUND' });
    }
    if (req.method === 'POST' && path.startsWith('/api/')) {
      const action = actions[path.slice('/api/'.length)];
      if (!action) return sendJson(res, 404, { error: 'NOT_FOUND' });
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return sendJson(res, 415, { error: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' });
      }
      try {
        await action(await readJson(req));
        return sendJson(res, 200, { ok: true });
      } catch (error) {
        return sendJson(res, isXinyiError(error) ? 400 : 500, describe(error));
      }
    }
    res.writeHead(405, { allow: 'GET, POST' }).end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, describe(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new XinyiError('INVALID_OPTIONS', `panel: cannot listen on 127.0.0.1:${options.port ?? 7300}`, {
          cause,
        }),
      ),
    );
    server.listen(options.port ?? 7300, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const keepalive = setInterval(() => {
    for (const client of clients) client.write(': keep-alive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    publish(event, data) {
      scenario = data;
      broadcast(event, data);
    },
    async close() {
      clearInterval(keepalive);
      for (const remove of listeners) remove();
      for (const client of clients) client.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function describe(error: unknown): { error: string; message: string } {
  if (isXinyiError(error)) return { error: error.code, message: error.message };
  return { error: 'INTERNAL', message: 'the simulation failed to carry out the request' };
}
