import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGateConfig } from '../../cli/gate/config.js';
import { type GateDaemon, startGateDaemon } from '../../cli/gate/daemon.js';
import { hostHeaderName } from '../../cli/gate/local-files.js';
import { isXinyiError, type XinyiError } from '../../sdk/errors.js';
import { createJsonLogger } from '../../sdk/logger.js';
import { runXinyi } from './run-xinyi.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/** GET `path` with this `Host` header, as a browser page on a rebound DNS name would send it. */
function getWithHost(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('gate daemon: local data locked down', () => {
  const dirs: string[] = [];
  const daemons: GateDaemon[] = [];
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const setUp = (extra: Record<string, unknown> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-daemon-local-'));
    dirs.push(dir);
    const keyFile = join(dir, 'pseudonym.key');
    writeFileSync(keyFile, 'local-data-test-key-0123456789abcdef', { mode: 0o600 });
    const config = parseGateConfig({
      terminalId: 'gate-local-test',
      pseudonymKey: { file: keyFile },
      dataDir: join(dir, 'data'),
      devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
      http: { host: '127.0.0.1', port: 0 },
      ...extra,
    });
    const lines: Record<string, unknown>[] = [];
    const logger = createJsonLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
    return { dir, keyFile, config, logger, lines, dataDir: join(dir, 'data') };
  };

  it('dataDir 0700 and every file in it 0600, also those an older version left 0644 in a 0755 folder', async () => {
    const { dir, config, logger, dataDir } = setUp();
    mkdirSync(join(dataDir, 'cache'), { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'cache', 'status-list.json'), '{}', { mode: 0o644 });
    chmodSync(join(dataDir, 'cache', 'status-list.json'), 0o644);
    const daemon = await startGateDaemon({ config, baseDir: dir, logger });
    daemons.push(daemon);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'cache'))).toBe(0o700);
    expect(mode(join(dataDir, 'cache', 'status-list.json'))).toBe(0o600);
    const files = readdirSync(dataDir).filter((f) => f.startsWith('journal.sqlite'));
    expect(files).toContain('journal.sqlite');
    for (const f of files) expect([f, mode(join(dataDir, f))]).toEqual([f, 0o600]);
  });

  it('answers loopback names and the configured ones; any other Host gets 421 (DNS rebinding)', async () => {
    const { dir, config, logger } = setUp({
      http: { host: '127.0.0.1', port: 0, allowedHosts: ['gate-01.lan'] },
    });
    const daemon = await startGateDaemon({ config, baseDir: dir, logger });
    daemons.push(daemon);
    const port = new URL(daemon.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `gate-01.lan:${port}`]) {
      expect([host, (await getWithHost(daemon.url, '/health', host)).status]).toEqual([host, 200]);
    }
    for (const path of ['/diagnostics', '/health', '/metrics']) {
      const refused = await getWithHost(daemon.url, path, `attacker.example:${port}`);
      expect(refused.status).toBe(421);
      expect(refused.body).not.toContain('gate-local-test');
    }
    expect(hostHeaderName('[::1]:9464')).toBe('::1');
    expect(hostHeaderName('Gate-01.LAN')).toBe('gate-01.lan');
  });

  it('refuses a secret file readable by group or others, naming the file, its mode and the fix', async () => {
    const { dir, keyFile, config, logger } = setUp();
    chmodSync(keyFile, 0o644);
    const error = await startGateDaemon({ config, baseDir: dir, logger }).catch((e: unknown) => e);
    expect(isXinyiError(error) && error.code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain(
      `pseudonymKey: ${keyFile} is readable by group or others (mode 0644)`,
    );
    expect((error as Error).message).toContain(`chmod 600 ${keyFile}`);
  });

  it('with allowInsecureSecretFiles it warns and runs', async () => {
    const { dir, keyFile, config, logger, lines } = setUp({ allowInsecureSecretFiles: true });
    chmodSync(keyFile, 0o640);
    const daemon = await startGateDaemon({ config, baseDir: dir, logger });
    daemons.push(daemon);
    expect(
      lines.find((l) => l.level === 'warn' && String(l.msg).includes('readable by group or others')),
    ).toMatchObject({
      field: 'pseudonymKey',
      mode: '0640',
    });
  });
});

describe('gate daemon: start-up errors that name what and how', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const configWith = (extra: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-daemon-errors-'));
    dirs.push(dir);
    return {
      dir,
      config: parseGateConfig({
        terminalId: 'gate-errors-test',
        pseudonymKey: { value: 'errors-test-key-0123456789abcdef' },
        dataDir: join(dir, 'data'),
        devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
        http: { host: '127.0.0.1', port: 0 },
        ...extra,
      }),
    };
  };
  const logger = createJsonLogger({ write: () => {} });

  it('a pseudonym key the SDK refuses names pseudonymKey, in gate and in gate --check', async () => {
    const { dir, config } = configWith({ pseudonymKey: { value: 'short8by' } });
    const error = await startGateDaemon({ config, baseDir: dir, logger }).catch((e: unknown) => e);
    expect(isXinyiError(error) && error.code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toMatch(/^pseudonymKey: /);
    const file = join(dir, 'gate.json');
    writeFileSync(file, JSON.stringify({ ...config, pseudonymKey: { value: 'short8by' } }));
    const check = await runXinyi(['gate', '--config', file, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(
      /^problem: secret pseudonymKey resolves but is not usable as a pseudonym key \(INVALID_OPTIONS: key must be at least 16 bytes\)$/m,
    );
  });

  it('a port in use is a message naming the port and the option, not a raw EADDRINUSE', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const { dir, config } = configWith({ http: { host: '127.0.0.1', port } });
      const error = await startGateDaemon({ config, baseDir: dir, logger }).catch((e: unknown) => e);
      expect(isXinyiError(error) && error.code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toBe(
        `http: port ${port} on 127.0.0.1 is already in use (another xinyi gate, or another program); set http.port in the configuration to a free port`,
      );
      expect((error as XinyiError).details).toMatchObject({ field: 'http.port', reason: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
