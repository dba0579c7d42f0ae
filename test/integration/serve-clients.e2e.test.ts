// The example clients of docs/serve.md — Java 17 (java.net.http, run as a single source file), Python
// (Debian's python3 with python3-requests and python3-websocket) and the plain browser checkout page
// in Debian's Chromium — each run through its own toolchain against `xinyi serve` on a simulated site.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardFieldsForPerson } from '../../simulator/devices/card-fields.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type SimulatedSite, startSimulatedSite } from '../../simulator/simulated-site.js';
import { CHROMIUM, isChromiumAvailable, OFFLINE_ARGS } from '../support/chromium.js';
import { liftCard, until } from './gate-daemon-process.js';
import { call, devicesReady, type ServeProcess, startServe, writeServeConfig } from './serve-process.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/serve');
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}
const chromiumPresent = isChromiumAvailable();
/** Debian's python3 (a pyenv or venv python3 on PATH may lack Debian's packages). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const pythonReady = spawnSync(PYTHON, ['-c', 'import requests, websocket']).status === 0;
const javaReady = spawnSync('java', ['-version']).status === 0;
if (process.env.XINYI_REQUIRE_CLIENTS === '1' && (!pythonReady || !javaReady)) {
  throw new Error(
    'the Java and Python client toolchains are missing (apt-get install openjdk-17-jdk-headless python3-requests python3-websocket)',
  );
}

const trustworthy = (p: SyntheticPerson) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0;

/** A client process and the JSON lines it printed, one per step. */
function runClient(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const steps: Record<string, unknown>[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      steps.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
      buffer = buffer.slice(nl + 1);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, steps, exited, stderr: () => stderr };
}

describe.skipIf(!socat)('the example clients against xinyi serve', () => {
  let dir: string;
  let site: SimulatedSite;
  let serve: ServeProcess;
  let tokenFile: string;
  let page: Server;
  let pageOrigin: string;
  let citizens: SyntheticPerson[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-serve-clients-'));
    site = await startSimulatedSite({ dir, people: 40 });
    citizens = site.people.filter(trustworthy);
    // The browser page's own origin, which the service allows.
    page = createServer((req, res) => {
      if (req.url?.startsWith('/checkout.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(readFileSync(join(EXAMPLES, 'browser/checkout.html')));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((done) => page.listen(0, '127.0.0.1', done));
    pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    const written = writeServeConfig(site, dir, { allowedOrigins: [pageOrigin] });
    tokenFile = join(dir, 'api.token');
    serve = await startServe(written.configFile, written.token);
    await devicesReady(serve);
  }, 60_000);

  afterAll(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await new Promise((done) => page?.close(done));
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Taps the person's card once the service has a `present` call waiting, lifts it once `decided` holds. */
  async function tapWhenWaiting(
    person: SyntheticPerson,
    decided: () => boolean | Promise<boolean>,
    failed: () => unknown = () => undefined,
  ) {
    await until(async () => {
      const failure = await failed();
      if (failure) throw new Error(`the client failed: ${JSON.stringify(failure)}`);
      return (await call(serve, 'GET', '/v1/state')).body.waiting === 1;
    }, 60_000);
    site.reader.placeCard(cardFieldsForPerson(person));
    try {
      await until(decided, 30_000).catch((error: Error) => {
        throw new Error(`${error.message}; the service's last lines:\n${serve.raw.slice(-12).join('\n')}`);
      });
    } finally {
      await liftCard(site);
    }
  }

  /** What both scripted tills must have printed. */
  function expectTillSession(steps: Record<string, unknown>[]) {
    const byStep = Object.fromEntries(steps.map((s) => [s.step, s]));
    expect(byStep.failed).toBeUndefined();
    expect(byStep.decision).toMatchObject({ outcome: 'granted' });
    expect(String(byStep.decision!.citizen).length).toBeGreaterThan(0);
    expect(byStep.decision!.masked).toMatch(/\*/);
    expect((byStep.event!.id as string).endsWith(`.${byStep.event!.seq}`)).toBe(true);
    expect(byStep.confirmed).toMatchObject({ replayed: true });
    expect(byStep.confirmed!.usesCounted).toBeGreaterThan(0);
    expect(byStep.confirmed!.retried).toBe(byStep.confirmed!.usesCounted);
    expect(byStep.resumed!.id).toBe(byStep.resumed!.missed);
    expect(byStep.resumed!.seq).toBeGreaterThan(byStep.event!.seq as number);
    for (const p of site.people) expect(JSON.stringify(steps)).not.toContain(p.idNumber);
  }

  /** Runs one example till (its own toolchain) through a whole session for `citizen`. */
  async function tillSession(
    command: string,
    script: string,
    citizen: (typeof citizens)[number],
    startupMs: number,
  ): Promise<void> {
    const client = runClient(command, [
      join(EXAMPLES, script),
      '--url',
      serve.url,
      '--token-file',
      tokenFile,
    ]);
    await until(() => client.steps.some((s) => s.step === 'waiting' || s.step === 'failed'), startupMs);
    await tapWhenWaiting(
      citizen,
      () => client.steps.some((s) => s.step === 'decision' || s.step === 'failed'),
      () =>
        client.steps.find((s) => s.step === 'failed') ?? (client.child.exitCode !== null && client.stderr()),
    );
    expect(await client.exited, client.stderr()).toBe(0);
    expectTillSession(client.steps);
  }

  it.skipIf(!pythonReady)(
    'Python (requests + websocket-client): wait, tap, decision, event, confirm twice, resume',
    () => tillSession(PYTHON, 'python/checkout.py', citizens[0]!, 30_000),
    90_000,
  );

  it.skipIf(!javaReady)(
    'Java 17 (java.net.http, single-file source launch): the same session',
    () => tillSession('java', 'java/Checkout.java', citizens[1]!, 60_000),
    120_000,
  );

  it.skipIf(!chromiumPresent)(
    'the browser checkout page in Chromium: decision and citizen text shown, sale confirmed',
    async () => {
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({ executablePath: CHROMIUM, args: OFFLINE_ARGS });
        const tab = await browser.newPage();
        await tab.goto(
          `${pageOrigin}/checkout.html?service=${encodeURIComponent(serve.url)}#token=${serve.token}`,
        );
        await until(async () => (await tab.textContent('#connection')) === 'connected', 20_000);
        await tab.click('#wait');
        await tapWhenWaiting(citizens[2]!, async () => (await tab.textContent('#status')) !== 'waiting');
        expect(await tab.textContent('#status')).toBe('decided');
        expect(await tab.textContent('#outcome')).toBe('守信激励');
        expect((await tab.textContent('#citizen'))!.length).toBeGreaterThan(0);
        expect(await tab.textContent('#masked')).toMatch(/\*/);
        await tab.click('#confirm');
        await until(async () => (await tab.textContent('#status')) === 'confirmed', 20_000);
        expect(Number(await tab.textContent('#confirmed'))).toBeGreaterThan(0);
        await until(
          async () => ((await tab.textContent('#events')) ?? '').includes('decision granted'),
          20_000,
        );
        const shown = (await tab.content()) + JSON.stringify(await tab.evaluate(() => 0));
        for (const p of site.people) expect(shown).not.toContain(p.idNumber);
      } finally {
        await browser?.close();
      }
    },
    90_000,
  );
});
