import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseServeConfig } from '../../cli/gate/config.js';
import { readApiToken } from '../../cli/serve/api-token.js';
import { isXinyiError } from '../../sdk/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-serve-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = {
  terminalId: 'till-01',
  pseudonymKey: { value: 'k'.repeat(32) },
  dataDir: 'data',
  api: { tokenFile: 'api.token' },
};

function configError(value: unknown): { code: string; path: unknown; message: string } {
  try {
    parseServeConfig(value, 'serve.json');
  } catch (error) {
    if (isXinyiError(error)) return { code: error.code, path: error.details.path, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('parseServeConfig', () => {
  it('accepts the sample in examples/serve and fills the API defaults: loopback, port 9465, no origin', () => {
    const sample = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../examples/serve/serve.json'), 'utf8'),
    );
    expect(parseServeConfig(sample).api.allowedOrigins).toEqual(['http://127.0.0.1:8080']);
    const config = parseServeConfig(minimal);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9465 });
    expect(config.scene).toBe('supermarket-checkout');
    expect(config.devices).toEqual({ scanners: [] });
    expect(config.api).toMatchObject({ allowedOrigins: [], maxBodyBytes: 16_384, eventBufferSize: 1_024 });
  });

  it('names the field at fault: no api section, an origin with a path, a gate (serve has none), a tiny body limit', () => {
    const { api: _api, ...noApi } = minimal;
    expect(configError(noApi)).toMatchObject({ code: 'CONFIG_INVALID', path: 'api' });
    expect(
      configError({ ...minimal, api: { tokenFile: 't', allowedOrigins: ['http://pos.local/'] } }),
    ).toMatchObject({
      path: 'api.allowedOrigins.0',
    });
    expect(configError({ ...minimal, devices: { scanners: [], gate: {} } })).toMatchObject({
      path: 'devices',
    });
    expect(configError({ ...minimal, api: { tokenFile: 't', maxBodyBytes: 10 } })).toMatchObject({
      path: 'api.maxBodyBytes',
    });
  });
});

describe('readApiToken', () => {
  const config = parseServeConfig(minimal);

  it('reads a 0600 token file and refuses one others may read, or a short token, naming api.tokenFile', () => {
    const file = join(dir, 'api.token');
    writeFileSync(file, `${'a1'.repeat(32)}\n`, { mode: 0o600 });
    expect(readApiToken(config, dir)).toBe('a1'.repeat(32));
    chmodSync(file, 0o644);
    expect(() => readApiToken(config, dir)).toThrow(
      /api\.tokenFile: .* is readable by group or others \(mode 0644\)/,
    );
    writeFileSync(file, 'short', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(() => readApiToken(config, dir)).toThrow(/api\.tokenFile: the token must be at least 32/);
    rmSync(file);
    expect(() => readApiToken(config, dir)).toThrow(/api\.tokenFile: cannot read api\.token/);
  });
});

describe('xinyi doctor on a serve configuration', () => {
  it('loads it (no gate among the devices), checks the token file, and reads /v1/health with the token', async () => {
    const { runDoctor } = await import('../../cli/doctor-command.js');
    const base = mkdtempSync(join(tmpdir(), 'xinyi-serve-doctor-'));
    try {
      writeFileSync(join(base, 'pseudonym.key'), 'k'.repeat(48), { mode: 0o600 });
      writeFileSync(join(base, 'api.token'), 'b2'.repeat(32), { mode: 0o644 });
      const configFile = join(base, 'serve.json');
      writeFileSync(
        configFile,
        JSON.stringify({
          ...minimal,
          pseudonymKey: { file: 'pseudonym.key' },
          devices: { scanners: [{ type: 'serial', link: { serial: { path: join(base, 'no-scanner') } } }] },
          http: { host: '127.0.0.1', port: 1 },
        }),
      );
      const report = await runDoctor({ configFile, timeoutMs: 500 });
      expect(report.config).not.toBeNull();
      expect(report.devices?.map((d) => d.role)).toEqual(['scanner']);
      expect(report.secrets['api.tokenFile']).toBe(false);
      expect(report.problems.some((p) => /api\.tokenFile: .* is readable by group or others/.test(p))).toBe(
        true,
      );
      expect(report.daemon).toMatchObject({ url: 'http://127.0.0.1:1', running: false });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
