// `xinyi doctor` as support would run it on a terminal: a child process reading a gate config.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../cli/doctor-command.js';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import { startMockPlatform } from '../../simulator/mock-platform.js';
import { runSimulatedDay, simulatedDayPeople } from '../../simulator/simulated-day.js';
import { computedYears, signedCalendar } from '../sdk/documents/fixtures.js';
import { type CliRun, runXinyi } from './run-xinyi.js';

const sqlite = await loadSqliteDriver().then(
  () => true,
  () => false,
);
const dir = mkdtempSync(join(tmpdir(), 'xinyi-doctor-test-'));
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
  rmSync(dir, { recursive: true, force: true });
});

const PSEUDONYM_KEY = 'doctor-test-pseudonym-key-5f1c2e-7d9a41b0c3e8';
const PLATFORM_SECRET = 'doctor-test-platform-secret-9a7b3d';
const rootKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const snapshotKey = generateKeyPairSync('ed25519')
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
/** The base64 body of a PEM, which must not be printed whatever its line breaks. */
const pemBody = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----'))[0]!;

function doctor(configFile: string, args: string[] = []): Promise<CliRun> {
  return runXinyi(['doctor', '--config', configFile, ...args], {
    env: { XINYI_DOCTOR_TEST_SECRET: PLATFORM_SECRET },
    until: 'exit',
  });
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Stands in for a running daemon's /diagnostics. */
async function fakeDaemon(diagnostics: unknown): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/diagnostics')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(diagnostics));
    else res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function writeConfig(name: string, config: Record<string, unknown>): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'root.pem'), rootKey);
  const file = join(folder, 'gate.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function expectNoSecrets(stdout: string): void {
  expect(stdout).not.toContain(PSEUDONYM_KEY);
  expect(stdout).not.toContain(PLATFORM_SECRET);
  expect(stdout).not.toContain(pemBody(rootKey));
  expect(stdout).not.toContain(pemBody(snapshotKey));
}

describe('xinyi doctor', () => {
  it('lists what is wrong on a terminal with no devices and no platform, and exits 1', async () => {
    const file = writeConfig('broken', {
      terminalId: 'gate-doctor-01',
      pseudonymKey: { value: PSEUDONYM_KEY },
      dataDir: 'data',
      devices: {
        idCardReader: { serial: { path: join(dir, 'broken', 'ttyUSB0') } },
        scanners: [{ type: 'serial', link: { serial: { path: join(dir, 'broken', 'ttyACM0') } } }],
        gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 4001 } } },
      },
      platform: {
        baseUrl: `http://127.0.0.1:${await closedPort()}`,
        keyId: 'terminals',
        secret: { env: 'XINYI_DOCTOR_TEST_SECRET' },
        trustRootPublicKey: { file: 'root.pem' },
        snapshotPublicKeys: [{ env: 'XINYI_DOCTOR_TEST_UNSET' }],
      },
      http: { port: await closedPort() },
    });
    const { code, stdout } = await doctor(file);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(report.versions).toEqual({
      sdk: expect.any(String),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    });
    expect(report.secrets).toEqual({
      pseudonymKey: true,
      'platform.secret': true,
      'platform.trustRootPublicKey': true,
      'platform.snapshotPublicKeys.0': false,
    });
    expect((report.config as { pseudonymKey: unknown }).pseudonymKey).toEqual({ value: '[redacted]' });
    expect(report.dataDir).toEqual({ path: join(dir, 'broken', 'data'), exists: false, writable: false });
    expect(report.devices).toEqual([
      {
        role: 'id-card-reader',
        name: 'id-card-reader',
        link: 'serial',
        path: join(dir, 'broken', 'ttyUSB0'),
        exists: false,
      },
      {
        role: 'scanner',
        name: 'scanner-1',
        link: 'serial',
        path: join(dir, 'broken', 'ttyACM0'),
        exists: false,
      },
      { role: 'gate', name: 'gate (aa-frame)', link: 'tcp', address: '127.0.0.1:4001' },
    ]);
    expect(report.platform).toMatchObject({ error: 'ECONNREFUSED' });
    expect(report.daemon).toMatchObject({ running: false, error: 'ECONNREFUSED' });
    // One line per problem, each naming what is wrong.
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^secret platform\.snapshotPublicKeys\.0 does not resolve .*XINYI_DOCTOR_TEST_UNSET/,
        ),
        expect.stringMatching(/^device id-card-reader .*ttyUSB0 does not exist$/),
        expect.stringMatching(/^device scanner-1 .*ttyACM0 does not exist$/),
        expect.stringMatching(/^platform: .* is not reachable \(ECONNREFUSED\)$/),
      ]),
    );
    for (const problem of report.problems) expect(problem).not.toContain('\n');
    // A daemon that is simply not running is not a problem when it was not named.
    expect(report.problems.some((p) => p.startsWith('daemon'))).toBe(false);
    if (sqlite) {
      expect(report.journal).toEqual({ path: join(dir, 'broken', 'data', 'journal.sqlite'), exists: false });
      expect(report.problems).toContain('snapshot: none downloaded yet, so there is no offline fallback');
    }
    expectNoSecrets(stdout);
  }, 30_000);

  it('reads the journal and snapshot a run left, reaches the platform and the daemon, and exits 0', async () => {
    const folder = join(dir, 'healthy');
    mkdirSync(folder, { recursive: true });
    // A deployment-shaped data directory: the demo keeps its journal and snapshot there.
    const day = { seed: 'doctor', people: 12 } as const;
    await runSimulatedDay({ ...day, visits: 4, dataDir: join(folder, 'data') });
    const platform = await startMockPlatform({
      keyId: 'terminals',
      secret: PLATFORM_SECRET,
      pseudonymKey: PSEUDONYM_KEY,
    });
    closers.push(() => platform.close());
    const daemonUrl = await fakeDaemon({
      terminalId: 'gate-doctor-02',
      health: { status: 'ok', alarms: [], devices: { 'id-card-reader': 'ready' }, creditSourcesOffline: [] },
    });
    // A udev rule's stable name: a symlink to the character device.
    symlinkSync('/dev/null', join(folder, 'xinyi-reader'));
    writeFileSync(join(folder, 'snapshot.pem'), snapshotKey);
    // A signed calendar reaching past next year: no coverage warning, whatever the real date.
    const calendarKeys = generateKeyPairSync('ed25519');
    const thisYear = new Date().getUTCFullYear();
    writeFileSync(
      join(folder, 'calendar.json'),
      signedCalendar(calendarKeys.privateKey, 1, computedYears(thisYear, thisYear + 1)),
    );
    writeFileSync(
      join(folder, 'calendar.pem'),
      calendarKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    writeFileSync(join(folder, 'pseudonym.key'), PSEUDONYM_KEY, { mode: 0o600 });
    const file = writeConfig('healthy', {
      terminalId: 'gate-doctor-02',
      pseudonymKey: { file: 'pseudonym.key' },
      dataDir: 'data',
      devices: {
        idCardReader: { serial: { path: join(folder, 'xinyi-reader') } },
        gate: { protocol: 'aa-frame', link: { serial: { path: '/dev/null' } } },
      },
      platform: {
        baseUrl: platform.url,
        keyId: 'terminals',
        secret: { env: 'XINYI_DOCTOR_TEST_SECRET' },
        trustRootPublicKey: { file: 'root.pem' },
        snapshotPublicKeys: [{ file: 'snapshot.pem' }],
      },
      calendar: { file: 'calendar.json', publicKey: { file: 'calendar.pem' } },
    });
    const { code, stdout, stderr } = await doctor(file, ['--url', daemonUrl]);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.problems, stderr).toEqual(sqlite ? [] : [expect.stringMatching(/^better-sqlite3/)]);
    // The simulator's platform is plain http on loopback: worth a warning, not a failure.
    expect(report.warnings).toEqual([
      expect.stringMatching(/^platform: http:\/\/127\.0\.0\.1:\d+ is plain http:\/\/ on loopback/),
    ]);
    expect(code).toBe(sqlite ? 0 : 1);
    expect(report.ok).toBe(sqlite);
    expect(report.devices![0]).toEqual({
      role: 'id-card-reader',
      name: 'id-card-reader',
      link: 'serial',
      path: join(folder, 'xinyi-reader'),
      exists: true,
      symlinkTo: '/dev/null',
      characterDevice: true,
      accessible: true,
    });
    // Signed with the configured key, as the daemon's requests are: the platform took it.
    expect(report.platform).toMatchObject({ baseUrl: platform.url, status: 200 });
    expect(platform.requests.at(-1)).toMatchObject({
      path: '/v1/trust-list',
      keyId: 'terminals',
      status: 200,
    });
    expect(report.daemon).toMatchObject({
      url: daemonUrl,
      running: true,
      diagnostics: { terminalId: 'gate-doctor-02' },
    });
    if (sqlite) {
      expect(report.journal).toMatchObject({
        exists: true,
        counts: { decisions: 4 },
        backlog: { decisions: { count: 0, oldestAt: null }, disclosures: { count: 0, oldestAt: null } },
        overdueDisclosures: 0,
      });
      expect(report.snapshot?.info).toMatchObject({ sequence: 1, count: expect.any(Number) });
    }
    expectNoSecrets(stdout);
    for (const person of simulatedDayPeople(day)) {
      expect(stdout).not.toContain(person.idNumber.slice(0, 17));
      expect(stdout).not.toContain(person.name);
    }
  }, 60_000);

  it('reports an unsafe configuration: inline secret, secret file others can read, weak key, open port, simulated clock', async () => {
    const folder = join(dir, 'unsafe');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'pseudonym.key'), 'ab'.repeat(20), { mode: 0o644 });
    chmodSync(join(folder, 'pseudonym.key'), 0o644);
    const file = writeConfig('unsafe', {
      terminalId: 'gate-doctor-04',
      pseudonymKey: { file: 'pseudonym.key' },
      dataDir: 'data',
      devices: { gate: { protocol: 'aa-frame', link: { udp: { host: '127.0.0.1', port: 4003 } } } },
      platform: {
        baseUrl: `https://127.0.0.1:${await closedPort()}`,
        keyId: 'terminals',
        secret: { value: PLATFORM_SECRET },
        trustRootPublicKey: { file: 'root.pem' },
        snapshotPublicKeys: [{ file: 'root.pem' }],
      },
      http: { host: '0.0.0.0', port: await closedPort() },
      clock: { startAt: '2026-10-02T10:00:00+08:00' },
    });
    const { code, stdout } = await doctor(file);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.problems).toEqual(
      expect.arrayContaining([
        'secret platform.secret is written inline in the configuration; use { "file": … } or { "env": … }',
        'secret pseudonymKey: pseudonym.key is readable by group or others (mode 0644); chmod 600',
        'pseudonymKey is weak: about 40 bits of entropy, fewer than 128',
        expect.stringMatching(
          /^http\.host 0\.0\.0\.0: the daemon's health, metrics and diagnostics are reachable beyond this machine/,
        ),
        'clock.startAt is set: the daemon runs on a simulated clock (2026-10-02T10:00:00+08:00) against a real platform',
      ]),
    );
    expectNoSecrets(stdout);
  }, 30_000);

  it('an http:// platform: refused beyond loopback, a warning with allowInsecureHttp', async () => {
    const base = {
      terminalId: 'gate-doctor-05',
      pseudonymKey: { env: 'XINYI_DOCTOR_TEST_SECRET' },
      dataDir: 'data',
      devices: { gate: { protocol: 'aa-frame', link: { udp: { host: '127.0.0.1', port: 4004 } } } },
    };
    const platform = {
      baseUrl: 'http://192.0.2.10:8080',
      keyId: 'terminals',
      secret: { env: 'XINYI_DOCTOR_TEST_SECRET' },
      trustRootPublicKey: { file: 'root.pem' },
      snapshotPublicKeys: [{ file: 'root.pem' }],
    };
    const refused = JSON.parse(
      (await doctor(writeConfig('http-refused', { ...base, platform }))).stdout,
    ) as DoctorReport;
    expect(refused.problems).toEqual([
      expect.stringMatching(/^config: CONFIG_INVALID: .*platform\.baseUrl: must be https:\/\//),
    ]);
    const allowed = JSON.parse(
      (
        await doctor(
          writeConfig('http-allowed', { ...base, platform: { ...platform, allowInsecureHttp: true } }),
          ['--timeout-ms', '300'],
        )
      ).stdout,
    ) as DoctorReport;
    expect(allowed.warnings).toContain(
      'platform: http://192.0.2.10:8080 is plain http:// beyond loopback (allowInsecureHttp): requests travel in clear',
    );
  }, 30_000);

  it('reports a degraded daemon as a problem, with the reasons it gives', async () => {
    const daemonUrl = await fakeDaemon({
      health: {
        status: 'degraded',
        alarms: ['journal-unavailable'],
        devices: { 'id-card-reader': 'ready', 'gate (aa-frame)': 'disconnected' },
        creditSourcesOffline: ['platform'],
      },
    });
    const file = writeConfig('degraded', {
      terminalId: 'gate-doctor-03',
      pseudonymKey: { value: PSEUDONYM_KEY },
      dataDir: 'data',
      devices: { gate: { protocol: 'aa-frame', link: { udp: { host: '127.0.0.1', port: 4002 } } } },
    });
    const { code, stdout } = await doctor(file, ['--url', daemonUrl]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.platform).toBeNull();
    expect(report.problems).toContain(
      'daemon reports degraded: alarms journal-unavailable; devices gate (aa-frame) disconnected; credit sources offline platform',
    );
  }, 30_000);
});
