import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateLane } from '../../../cli/site-command.js';
import { type PanelServer, startPanelServer } from '../../../simulator/panel/panel-server.js';
import { Simulation } from '../../../simulator/panel/simulation.js';
import { isSocatAvailable } from '../../../simulator/pty.js';

const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

/** A raw request, so the Host header can be anything (fetch always sends the URL's). */
function raw(
  url: string,
  options: { method?: string; host?: string; contentType?: string; body?: string },
): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/fault',
        method: options.method ?? 'GET',
        headers: {
          host: options.host ?? `127.0.0.1:${port}`,
          ...(options.contentType ? { 'content-type': options.contentType } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe.skipIf(!socat)('the control panel server', () => {
  let dir: string;
  let simulation: Simulation;
  let panel: PanelServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-panel-api-'));
    simulation = await Simulation.start({
      lane: startGateLane,
      dir,
      gateTiming: { motionMs: 40, passDelayMs: 150 },
    });
    await simulation.whenReady();
    panel = await startPanelServer({ simulation, port: 0 });
  }, 60_000);

  afterAll(async () => {
    await panel?.close();
    await simulation?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page, its script and style with a self-only content policy', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/panel.js', 'text/javascript'],
      ['/panel.css', 'text/css'],
    ] as const) {
      const response = await fetch(new URL(path, panel.url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(type);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      // No CDN: nothing the page loads names another host.
      expect(await response.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
  });

  it('gives the state with masked numbers and no names', async () => {
    const text = await (await fetch(new URL('/api/state', panel.url))).text();
    const state = JSON.parse(text) as { people: { masked: string; tier: string }[]; gate: { state: string } };
    expect(state.people).toHaveLength(simulation.site.people.length);
    expect(state.people[0]!.masked).toMatch(/^\d\*{16}[\dX]$/);
    expect(state.gate.state).toBe('closed');
    for (const person of simulation.site.people) {
      expect(text).not.toContain(person.idNumber);
      expect(text).not.toContain(person.name);
    }
  });

  it('refuses requests that name another host, and controls that are not JSON', async () => {
    expect((await raw(panel.url, { host: 'attacker.example:80' })).status).toBe(421);
    const form = await raw(panel.url, {
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'fault=platform-down&on=true',
    });
    expect(form.status).toBe(415);
    expect(simulation.status().faults['platform-down']).toBe(false);
  });

  it('answers a bad control with its XinyiError code and changes nothing', async () => {
    const response = await fetch(new URL('/api/fault', panel.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'meteor-strike', on: true }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'INVALID_ARGUMENT' });
  });

  it('streams the state first, then every decision as it happens', async () => {
    const controller = new AbortController();
    const response = await fetch(new URL('/api/events', panel.url), { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let buffer = '';
    const nextEvent = async (name: string): Promise<unknown> => {
      for (;;) {
        const match = buffer.match(new RegExp(`event: ${name}\\ndata: (.*)\\n\\n`));
        if (match) {
          buffer = buffer.slice(match.index! + match[0].length);
          return JSON.parse(match[1]!);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before a ${name} event`);
        buffer += new TextDecoder().decode(value);
      }
    };
    const first = await nextEvent('state');
    expect(first).toMatchObject({ people: expect.any(Array), status: { lane: true } });
    const person = simulation.people().find((p) => p.trustworthy)!;
    const tapped = await fetch(new URL('/api/tap', panel.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ person: person.index }),
    });
    expect(tapped.status).toBe(200);
    const decision = await nextEvent('decision');
    expect(decision).toMatchObject({ gate: 'opened', masked: person.masked, source: 'platform' });
    controller.abort();
  });

  it('draws the code a person shows as an SVG', async () => {
    const person = simulation.people().filter((p) => p.trustworthy && p.hasCode)[3]!;
    const shown = await fetch(new URL('/api/code', panel.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ person: person.index, via: 'scanner' }),
    });
    expect(shown.status).toBe(200);
    const svg = await fetch(new URL('/api/code.svg', panel.url));
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(await svg.text()).toMatch(/^<svg [^>]*viewBox="0 0 65 65"/);
    // Shown to the serial scanner: there is no camera frame for it.
    expect((await fetch(new URL('/api/camera.png', panel.url))).status).toBe(404);
    const decision = await simulation.waitForDecision(0, 5_000, (e) => e.source === 'credit-code');
    expect(decision?.gate).toBe('opened');
  });
});
