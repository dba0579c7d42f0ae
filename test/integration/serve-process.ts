// `xinyi serve` as a child process against a simulated site (its ID-card reader and scanner on socat
// PTYs, the mock platform on loopback), and a small client of its API, for the end-to-end tests.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { SimulatedSite } from '../../simulator/simulated-site.js';
import { type DaemonProcess, startDaemon, until } from './gate-daemon-process.js';

export interface ServeProcess extends DaemonProcess {
  token: string;
  configFile: string;
}

/**
 * The serve configuration of the site's first lane: its reader and scanner, no gate, the checkout
 * scene, a token file written 0600, any free port. `api` overrides the API section's defaults.
 */
export function writeServeConfig(site: SimulatedSite, dir: string, api: Record<string, unknown> = {}) {
  const token = randomBytes(32).toString('hex');
  const tokenFile = join(dir, 'api.token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const gate = site.gateConfig() as Record<string, unknown> & { devices: Record<string, unknown> };
  const { gate: _gate, ...devices } = gate.devices;
  const { lane: _lane, ...rest } = gate;
  const config = {
    ...rest,
    terminalId: 'till-qingzhou-01',
    scene: 'supermarket-checkout',
    devices,
    dataDir: join(dir, 'serve-data'),
    http: { host: '127.0.0.1', port: 0 },
    api: { tokenFile, ...api },
  };
  const configFile = join(dir, 'serve.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { configFile, token };
}

export async function startServe(configFile: string, token: string): Promise<ServeProcess> {
  const daemon = await startDaemon(configFile, 30_000, { command: 'serve' });
  return Object.assign(daemon, { token, configFile });
}

/** Resolves once both devices of the serve configuration (reader and scanner) report `ready`. */
export async function devicesReady(serve: ServeProcess, timeoutMs = 20_000): Promise<void> {
  await until(async () => {
    const devices = (await call(serve, 'GET', '/v1/devices')).body.devices as { state: string }[];
    return devices.length === 2 && devices.every((d) => d.state === 'ready');
  }, timeoutMs);
}

/** A call with the token; `key` adds an Idempotency-Key. */
export async function call(
  serve: { url: string; token: string },
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  key?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${serve.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${serve.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : JSON.parse(text), headers: response.headers };
}

/** A WebSocket on the event stream that keeps every message it got, in order. */
export interface EventClient {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  /** Resolves with the first message from index `from` on that matches. */
  next(
    match: (m: Record<string, unknown>) => boolean,
    from?: number,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function openEvents(
  serve: { url: string; token: string },
  since?: string,
): Promise<EventClient> {
  const query = since === undefined ? '' : `?since=${encodeURIComponent(since)}`;
  const ws = new WebSocket(`${serve.url.replace('http', 'ws')}/v1/events/ws${query}`, {
    headers: { authorization: `Bearer ${serve.token}` },
  });
  const messages: Record<string, unknown>[] = [];
  const waiting = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of [...waiting]) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const wake of [...waiting]) wake();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('close', () => resolve());
  });
  return {
    ws,
    messages,
    closed,
    next(match, from = 0, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(match);
          if (found) {
            waiting.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (ws.readyState === WebSocket.CLOSED) {
            waiting.delete(check);
            clearTimeout(timer);
            reject(new Error(`event stream closed; messages: ${JSON.stringify(messages.slice(-5))}`));
          }
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`no matching event; last: ${JSON.stringify(messages.slice(-5))}`));
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
  };
}
