import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runDoctor } from '../../cli/doctor-command.js';
import { createSqliteJournal } from '../../sdk/journal/sqlite-journal.js';
import { cardFieldsForPerson } from '../../simulator/devices/card-fields.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type SimulatedSite, startSimulatedSite } from '../../simulator/simulated-site.js';
import { spawnDaemon, stderrOf, until, waitFor } from './gate-daemon-process.js';
import {
  call,
  devicesReady,
  openEvents,
  type ServeProcess,
  startServe,
  writeServeConfig,
} from './serve-process.js';

/**
 * `xinyi serve` as a separate process against a simulated site: a virtual ID-card reader and a QR
 * scanner on socat PTYs (the real serialport stack), the mock platform over loopback HTTP, and the
 * API's clients over loopback HTTP and WebSocket.
 */
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

const trustworthy = (p: SyntheticPerson) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0;

/** A raw request, for headers fetch will not send as given (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!socat)('xinyi serve, end to end against the simulator', () => {
  let dir: string;
  let site: SimulatedSite;
  let serve: ServeProcess;
  let citizens: SyntheticPerson[];
  /** Everything the service answered or streamed, searched for ID numbers and names at the end. */
  const seen: string[] = [];
  /** The decision the retried-present test made, found again after a restart. */
  let first: { status: number; body: Record<string, unknown> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-serve-e2e-'));
    site = await startSimulatedSite({ dir, people: 40 });
    citizens = site.people.filter(trustworthy);
    const { configFile, token } = writeServeConfig(site, dir, {
      eventBufferSize: 16,
      allowedOrigins: ['http://127.0.0.1:8080'],
    });
    serve = await startServe(configFile, token);
    await devicesReady(serve);
  }, 60_000);

  afterAll(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing or wrong token, a foreign Host and a foreign Origin, and answers an allowed preflight', async () => {
    const none = await fetch(`${serve.url}/v1/health`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'API_UNAUTHORIZED' } });
    const wrong = await fetch(`${serve.url}/v1/health`, {
      headers: { authorization: `Bearer ${'x'.repeat(64)}` },
    });
    expect(wrong.status).toBe(401);
    const auth = { authorization: `Bearer ${serve.token}` };
    const rebound = await rawGet(`${serve.url}/v1/health`, { ...auth, host: 'evil.example:9465' });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toMatchObject({
      error: { code: 'API_REQUEST_REFUSED', details: { header: 'host' } },
    });
    const foreign = await fetch(`${serve.url}/v1/health`, {
      headers: { ...auth, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${serve.url}/v1/present`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('idempotency-key');
    const allowed = await fetch(`${serve.url}/v1/health`, {
      headers: { ...auth, origin: 'http://127.0.0.1:8080' },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
    // The event stream too: no token, no upgrade.
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${serve.url.replace('http', 'ws')}/v1/events/ws`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(refused).toBe(401);
    // A POST without an Idempotency-Key is refused before anything is decided.
    const keyless = await call(serve, 'POST', '/v1/present', { wait: { timeoutMs: 1000 } });
    expect(keyless.status).toBe(400);
    expect(keyless.body).toMatchObject({
      error: { code: 'IDEMPOTENCY_KEY_INVALID', details: { problem: 'missing' } },
    });
    // A body over api.maxBodyBytes is refused by its size.
    const big = await call(
      serve,
      'POST',
      '/v1/present',
      { credential: { kind: 'barcode', text: 'x'.repeat(20_000) } },
      'big-body-01',
    );
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ error: { code: 'API_BODY_TOO_LARGE' } });
    // java.net.http's h2c upgrade on a POST is refused with the fix, not taken for a WebSocket.
    const h2c = await rawGet(`${serve.url}/v1/health`, {
      ...auth,
      connection: 'Upgrade, HTTP2-Settings',
      upgrade: 'h2c',
      'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA',
    });
    expect(h2c.status).toBe(400);
    expect(h2c.body).toContain('HTTP_1_1');
    // xinyi doctor reads the running service's health with the token.
    const report = await runDoctor({ configFile: serve.configFile, daemonUrl: serve.url, timeoutMs: 5_000 });
    expect(report.daemon).toMatchObject({ running: true });
    expect(report.secrets['api.tokenFile']).toBe(true);
  });

  it('a second xinyi serve on the same data folder and devices stops at once: exit 3, ALREADY_RUNNING naming the first', async () => {
    const second = spawnDaemon(serve.configFile, { command: 'serve' });
    expect(await second.exited).toBe(3);
    expect(stderrOf(second)).toMatch(
      new RegExp(
        `^xinyi: ALREADY_RUNNING: xinyi serve is already running \\(pid ${serve.child.pid}\\) on data folder `,
      ),
    );
    expect(second.lines.find((l) => l.msg === 'xinyi serve cannot start')).toMatchObject({
      code: 'ALREADY_RUNNING',
      pid: serve.child.pid,
    });
    expect(second.lines.some((l) => l.msg === 'xinyi serve started')).toBe(false);
    const health = (await call(serve, 'GET', '/v1/health')).body;
    expect(health.deviceProblems).toEqual({});
  }, 30_000);

  it('a reader on a wrong serial path: /v1/health and /v1/devices name the path, DEVICE_NOT_FOUND and ENOENT; it keeps trying', async () => {
    const missing = join(dir, 'ttyUSB9');
    const config = JSON.parse(readFileSync(serve.configFile, 'utf8')) as Record<string, unknown> & {
      devices: { idCardReader: Record<string, unknown> };
    };
    const file = join(dir, 'serve-missing-reader.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...config,
        dataDir: join(dir, 'serve-data-missing-reader'),
        devices: { idCardReader: { serial: { path: missing, baudRate: 115_200 } }, scanners: [] },
      }),
    );
    const other = await startServe(file, serve.token);
    try {
      await waitFor(other, (l) => l.msg === 'device not available yet' && l.device === 'id-card-reader');
      const health = (await call(other, 'GET', '/v1/health')).body as {
        status: string;
        deviceProblems: Record<string, Record<string, unknown>>;
      };
      expect(health.status).toBe('degraded');
      expect(health.deviceProblems['id-card-reader']).toMatchObject({
        code: 'DEVICE_NOT_FOUND',
        path: missing,
        reason: 'ENOENT',
        retrying: true,
        since: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      });
      const devices = (await call(other, 'GET', '/v1/devices')).body.devices as Record<string, unknown>[];
      expect(devices.find((d) => d.name === 'id-card-reader')).toMatchObject({
        problem: { code: 'DEVICE_NOT_FOUND', path: missing },
      });
    } finally {
      other.child.kill('SIGTERM');
      expect(await other.exited).toBe(0);
    }
  }, 60_000);

  it('a card tapped while the till waits: credential event, decision event, the same decision answered, then the use confirmed once', async () => {
    const person = citizens[0]!;
    const events = await openEvents(serve);
    const hello = await events.next((m) => m.type === 'hello');
    const waiting = call(serve, 'POST', '/v1/present', { wait: { timeoutMs: 20_000 } }, 'sale-0001-wait');
    await until(async () => (await call(serve, 'GET', '/v1/state')).body.waiting === 1);
    site.reader.placeCard(cardFieldsForPerson(person));
    const answer = await waiting;
    site.reader.removeCard();
    expect(answer.status).toBe(200);
    const decision = answer.body;
    seen.push(JSON.stringify(answer.body));
    expect(decision).toMatchObject({
      outcome: 'granted',
      scene: 'supermarket-checkout',
      origin: 'id-card-reader',
    });
    expect((decision.subject as { masked: string }).masked).toMatch(/\*/);
    expect(decision.subject).not.toHaveProperty('pseudonym');
    const tap = await events.next((m) => m.type === 'credential');
    expect(tap.data).toEqual({ device: 'id-card-reader', kind: 'id-card' });
    const event = await events.next((m) => m.type === 'decision');
    expect(event.data).toMatchObject({ id: decision.id, outcome: 'granted', origin: 'id-card-reader' });
    expect(event.seq).toBe((tap.seq as number) + 1);
    expect(tap.seq).toBeGreaterThan(hello.lastSeq as number);

    const byId = await call(serve, 'GET', `/v1/decisions/${decision.id}`);
    expect(byId.body).toMatchObject({ id: decision.id, outcome: 'granted' });
    const confirm = await call(
      serve,
      'POST',
      `/v1/decisions/${decision.id}/confirm-use`,
      {},
      'sale-0001-confirm',
    );
    expect(confirm.status).toBe(200);
    expect(confirm.body.usesCounted).toBeGreaterThan(0);
    const retried = await call(
      serve,
      'POST',
      `/v1/decisions/${decision.id}/confirm-use`,
      {},
      'sale-0001-confirm',
    );
    expect(retried.body).toEqual(confirm.body);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    const again = await call(
      serve,
      'POST',
      `/v1/decisions/${decision.id}/confirm-use`,
      {},
      'sale-0001-confirm-2',
    );
    expect(again.body.usesCounted).toBe(0);
    await events.next(
      (m) => m.type === 'use-confirmed' && (m.data as { decisionId: string }).decisionId === decision.id,
    );
    seen.push(...events.messages.map((m) => JSON.stringify(m)));
    events.ws.close();
    const unknown = await call(serve, 'GET', '/v1/decisions/00000000-0000-0000-0000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'API_NOT_FOUND' } });
  });

  it('a retried present with the same key makes no second decision; the key with another body is refused', async () => {
    const person = citizens[1]!;
    const body = {
      credential: { kind: 'id-card', idNumber: person.idNumber, name: person.name },
      context: { amountFen: 12_800 },
    };
    const [made, concurrent] = await Promise.all([
      call(serve, 'POST', '/v1/present', body, 'sale-0002-present'),
      call(serve, 'POST', '/v1/present', body, 'sale-0002-present'),
    ]);
    first = made;
    const retried = await call(serve, 'POST', '/v1/present', body, 'sale-0002-present');
    expect(first.status).toBe(200);
    expect(concurrent.body.id).toBe(first.body.id);
    expect(retried.body).toEqual(first.body);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    seen.push(JSON.stringify(first.body));
    const other = await call(
      serve,
      'POST',
      '/v1/present',
      { ...body, context: { amountFen: 1 } },
      'sale-0002-present',
    );
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      error: { code: 'IDEMPOTENCY_KEY_INVALID', details: { problem: 'reused' } },
    });
    const override = { staffId: 'staff-07', reason: '顾客出示纸质信用报告，经理复核', outcome: 'granted' };
    const o1 = await call(
      serve,
      'POST',
      `/v1/decisions/${first.body.id}/override`,
      override,
      'sale-0002-override',
    );
    const o2 = await call(
      serve,
      'POST',
      `/v1/decisions/${first.body.id}/override`,
      override,
      'sale-0002-override',
    );
    expect(o1.status).toBe(200);
    expect(o2.body).toEqual(o1.body);
    const noReason = await call(
      serve,
      'POST',
      `/v1/decisions/${first.body.id}/override`,
      { ...override, reason: '' },
      'sale-0002-override-2',
    );
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  });

  it('a client that drops resumes from its last sequence with no event lost; one too far behind is told of the gap', async () => {
    const first = await openEvents(serve);
    const hello = await first.next((m) => m.type === 'hello');
    const epoch = hello.epoch as string;
    await call(
      serve,
      'POST',
      '/v1/present',
      { credential: { kind: 'barcode', text: 'MEMBER-0001' } },
      'resume-0001',
    );
    const seenFirst = await first.next((m) => m.type === 'decision');
    first.ws.terminate();
    // Made while the client is away.
    const missed: string[] = [];
    for (let i = 2; i <= 4; i++) {
      const r = await call(
        serve,
        'POST',
        '/v1/present',
        { credential: { kind: 'barcode', text: `MEMBER-000${i}` } },
        `resume-000${i}`,
      );
      missed.push(r.body.id as string);
    }
    const back = await openEvents(serve, `${epoch}.${seenFirst.seq}`);
    const decisions = await until(() => back.messages.filter((m) => m.type === 'decision').length >= 3).then(
      () => back.messages.filter((m) => m.type === 'decision'),
    );
    expect(decisions.map((m) => (m.data as { id: string }).id)).toEqual(missed);
    const seqs = back.messages.filter((m) => m.seq !== undefined).map((m) => m.seq as number);
    expect(seqs[0]).toBe((seenFirst.seq as number) + 1);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    back.ws.close();

    // The buffer holds 16 events: after 20 more, sequence 0 is gone.
    for (let i = 0; i < 20; i++) {
      await call(
        serve,
        'POST',
        '/v1/present',
        { credential: { kind: 'barcode', text: `FILL-${i}` } },
        `fill-key-${i}`,
      );
    }
    const behind = await openEvents(serve, `${epoch}.0`);
    expect(await behind.closed).toEqual({ code: 4410, reason: 'EVENTS_GAP' });
    expect(behind.messages[0]).toMatchObject({ type: 'error', error: { code: 'EVENTS_GAP' } });
    const restarted = await openEvents(serve, `00000000.${seenFirst.seq}`);
    expect((await restarted.closed).code).toBe(4410);
    // Server-sent events resume the same way, from Last-Event-ID.
    const sse = await fetch(`${serve.url}/v1/events`, {
      headers: { authorization: `Bearer ${serve.token}`, 'last-event-id': `${epoch}.0` },
    });
    expect(sse.status).toBe(410);
    const controller = new AbortController();
    const stream = await fetch(
      `${serve.url}/v1/events?since=${epoch}.${(await call(serve, 'GET', '/v1/state')).body.events && ((await call(serve, 'GET', '/v1/state')).body.events as { lastSeq: number }).lastSeq - 2}`,
      {
        headers: { authorization: `Bearer ${serve.token}` },
        signal: controller.signal,
      },
    );
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    let text = '';
    while ((text.match(/\nid: /g) ?? []).length < 2)
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toMatch(/^event: hello\n/);
    expect(text).toMatch(new RegExp(`id: ${epoch}\\.\\d+\\nevent: decision\\n`));
  });

  it('SIGTERM while a present waits: it is answered CLOSED, every decision is in the journal, and a restart honours the keys', async () => {
    const events = await openEvents(serve);
    const waiting = call(serve, 'POST', '/v1/present', { wait: { timeoutMs: 30_000 } }, 'sale-0003-wait');
    await until(async () => (await call(serve, 'GET', '/v1/state')).body.waiting === 1);
    const state = (await call(serve, 'GET', '/v1/state')).body;
    serve.child.kill('SIGTERM');
    const answer = await waiting;
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: { code: 'CLOSED' } });
    expect((await events.closed).code).toBe(1001);
    expect(await serve.exited).toBe(0);
    const decided = state.decisions as Record<string, number>;
    const journal = await createSqliteJournal({ path: join(dir, 'serve-data', 'journal.sqlite') });
    try {
      expect(journal.counts().decisions).toBe(decided.granted! + decided.denied! + decided.unavailable!);
    } finally {
      journal.close();
    }
    const logs = serve.raw.join('\n');
    for (const p of site.people) {
      for (const text of [logs, ...seen]) {
        expect(text).not.toContain(p.idNumber);
        expect(text).not.toContain(p.name);
      }
    }
    expect(readFileSync(join(dir, 'serve.json'), 'utf8')).not.toContain(serve.token);

    // A power loss that took the stored answer of a committed present (the answers are a cache): the
    // retry finds the decision in the journal by the id its key and request give.
    const lost = new (await import('better-sqlite3')).default(join(dir, 'serve-data', 'idempotency.sqlite'));
    expect(lost.prepare("DELETE FROM answers WHERE key = 'sale-0002-present'").run().changes).toBe(1);
    lost.close();

    // Restarted: the same key answers the decision it made before, and the wait that was refused may be tried again.
    serve = await startServe(serve.configFile, serve.token);
    const person = citizens[1]!;
    const body = {
      credential: { kind: 'id-card', idNumber: person.idNumber, name: person.name },
      context: { amountFen: 12_800 },
    };
    const replay = await call(serve, 'POST', '/v1/present', body, 'sale-0002-present');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(first.body.id);
    expect((await call(serve, 'GET', '/v1/state')).body.decisions).toEqual({
      granted: 0,
      denied: 0,
      unavailable: 0,
    });
    const timedOut = await call(serve, 'POST', '/v1/present', { wait: { timeoutMs: 50 } }, 'sale-0003-wait');
    expect(timedOut.status).toBe(408);
    expect(timedOut.body).toMatchObject({ error: { code: 'WAIT_TIMEOUT' } });
  }, 60_000);
});
