import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  configPath,
  type GateConfig,
  loadGateConfig,
  parseGateConfig,
  readSecret,
  redactConfig,
} from '../../cli/gate/config.js';
import { describeFailure } from '../../cli/usage.js';
import { isXinyiError, type XinyiError } from '../../sdk/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-gate-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `startSimulatedSite(...).gateConfig()` produces, built by hand (the site needs socat PTYs). */
function siteConfig(): Record<string, unknown> {
  return {
    terminalId: 'gate-yunmenshan-01',
    scene: 'scenic-gate',
    context: { siteId: 'yunmenshan' },
    pseudonymKey: { file: join(dir, 'pseudonym.key') },
    dataDir: join(dir, 'data'),
    devices: {
      idCardReader: { serial: { path: '/dev/pts/7', baudRate: 115_200 }, pollIntervalMs: 100 },
      scanners: [{ type: 'serial', name: 'qr-scanner', link: { serial: { path: '/dev/pts/8' } } }],
      gate: {
        protocol: 'aa-frame',
        link: { serial: { path: '/dev/pts/9', baudRate: 9600 } },
        address: 1,
        pollIntervalMs: 50,
      },
    },
    platform: {
      baseUrl: 'http://127.0.0.1:43117',
      keyId: 'site-terminals',
      secret: { file: join(dir, 'platform.secret') },
      timeoutMs: 200,
      trustRootPublicKey: { file: join(dir, 'trust-root.pem') },
      snapshotPublicKeys: [{ file: join(dir, 'snapshot.pem') }],
    },
    http: { host: '127.0.0.1', port: 0 },
  };
}

/** A minimal configuration with the given gate. */
function withGate(gate: unknown): Record<string, unknown> {
  return {
    terminalId: 'lane-1',
    pseudonymKey: { env: 'XINYI_PSEUDONYM_KEY' },
    dataDir: '/var/lib/xinyi',
    devices: { gate },
  };
}

function configError(fn: () => unknown): XinyiError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isXinyiError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
  return error as XinyiError;
}

type Json = { [key: string]: unknown };

/** A fresh site configuration with the value at each dot path replaced (`undefined`: removed). */
function siteConfigWith(changes: Record<string, unknown>): Json {
  const config = siteConfig() as Json;
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let target = config;
    for (const key of keys.slice(0, -1)) target = target[key] as Json;
    const last = keys.at(-1)!;
    if (value === undefined) delete target[last];
    else target[last] = value;
  }
  return config;
}

/** Expects CONFIG_INVALID naming `path` for the site configuration with `changes`. */
function expectInvalidAt(changes: Record<string, unknown>, path: string): XinyiError {
  const error = configError(() => parseGateConfig(siteConfigWith(changes), 'site.json'));
  expect(error.details.path).toBe(path);
  expect(error.message).toContain(`site.json: ${path}:`);
  return error;
}

describe('parseGateConfig', () => {
  it('accepts the simulated site configuration and fills in the defaults', () => {
    const config = parseGateConfig(siteConfig());
    expect(config.terminalId).toBe('gate-yunmenshan-01');
    expect(config.devices.gate.protocol).toBe('aa-frame');
    expect(config.devices.idCardReader).toEqual({
      serial: { path: '/dev/pts/7', baudRate: 115_200 },
      pollIntervalMs: 100,
    });
    expect(config.policy).toBe('default');
    expect(config.lane).toEqual({ direction: 'entry', antiPassback: false });
    expect(config.journal).toEqual({});
    expect(config.log).toEqual({ level: 'info' });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('defaults the scene to scenic-gate and the HTTP endpoint to 127.0.0.1:9464', () => {
    const config = parseGateConfig(
      withGate({ protocol: 'flap-7e', link: { tcp: { host: 'gate.local', port: 4001 } } }),
    );
    expect(config.scene).toBe('scenic-gate');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.devices.scanners).toEqual([]);
    expect(config.devices.idCardReader).toBeUndefined();
    expect(config.platform).toBeUndefined();
  });

  it.each<[string, unknown]>([
    [
      'aa-frame over serial',
      {
        protocol: 'aa-frame',
        link: { serial: { path: '/dev/ttyS0', baudRate: 9600, parity: 'none' } },
        address: 255,
      },
    ],
    ['aa-frame over TCP', { protocol: 'aa-frame', link: { tcp: { host: '10.0.0.20', port: 4001 } } }],
    [
      'aa-frame over UDP',
      {
        protocol: 'aa-frame',
        link: { udp: { host: '10.0.0.20', port: 5000, localPort: 5001 } },
        name: 'east-lane',
      },
    ],
    [
      'flap-7e over serial',
      { protocol: 'flap-7e', link: { serial: { path: '/dev/ttyUSB1', baudRate: 19_200 } }, machine: 3 },
    ],
    [
      'flap-7e over TCP',
      { protocol: 'flap-7e', link: { tcp: { host: 'flap.local', port: 502 } }, pollIntervalMs: 200 },
    ],
    [
      'modbus-relay over serial',
      {
        protocol: 'modbus-relay',
        link: { serial: { path: '/dev/ttyUSB2', baudRate: 9600, parity: 'even' } },
        unitId: 17,
        entryCoil: 0,
        exitCoil: 1,
        pulseMs: 500,
        entrySensorInput: 0,
        exitSensorInput: 1,
      },
    ],
    [
      'modbus-relay over TCP',
      { protocol: 'modbus-relay', link: { tcp: { host: 'relay.local', port: 502 } }, unitId: 1 },
    ],
  ])('accepts %s', (_name, gate) => {
    const config = parseGateConfig(withGate(gate));
    expect(config.devices.gate).toEqual(gate);
  });

  it.each<[string, unknown, string]>([
    ['flap-7e over UDP', { protocol: 'flap-7e', link: { udp: { host: 'h', port: 1 } } }, 'devices.gate.link'],
    [
      'modbus unit 0',
      { protocol: 'modbus-relay', link: { tcp: { host: 'h', port: 502 } }, unitId: 0 },
      'devices.gate.unitId',
    ],
    [
      'aa-frame address 256',
      { protocol: 'aa-frame', link: { tcp: { host: 'h', port: 1 } }, address: 256 },
      'devices.gate.address',
    ],
  ])('refuses %s', (_name, gate, path) => {
    const error = configError(() => parseGateConfig(withGate(gate)));
    expect(error.details.path).toBe(path);
  });

  it('names a missing terminalId', () => {
    expectInvalidAt({ terminalId: undefined }, 'terminalId');
  });

  it('names an unknown gate protocol', () => {
    expect(expectInvalidAt({ 'devices.gate.protocol': 'wiegand' }, 'devices.gate.protocol').message).toMatch(
      /aa-frame/,
    );
  });

  it('names a bad port, also inside a link', () => {
    expectInvalidAt({ 'http.port': 65_536 }, 'http.port');
    expectInvalidAt({ 'http.port': -1 }, 'http.port');
    for (const port of [0, 80.5, '4001', 70_000]) {
      expectInvalidAt(
        { 'devices.gate.link': { tcp: { host: '10.0.0.5', port } } },
        'devices.gate.link.tcp.port',
      );
    }
    expectInvalidAt(
      { 'devices.gate.link': { udp: { host: '10.0.0.5', port: 5000, localPort: 65_536 } } },
      'devices.gate.link.udp.localPort',
    );
  });

  it('refuses unknown keys, at the top and inside nested objects', () => {
    expect(expectInvalidAt({ extra: true }, '(root)').message).toContain('extra');
    expect(expectInvalidAt({ 'devices.gate.speed': 3 }, 'devices.gate').message).toContain('speed');
    expect(expectInvalidAt({ 'platform.retries': 3 }, 'platform').message).toContain('retries');
    expect(expectInvalidAt({ lane: { direction: 'exit', mode: 'fast' } }, 'lane').message).toContain('mode');
    expect(
      expectInvalidAt({ 'devices.idCardReader.pollIntervalMS': 100 }, 'devices.idCardReader').message,
    ).toContain('pollIntervalMS');
    expectInvalidAt({ 'devices.idCardReader.serial.stopBits': 2 }, 'devices.idCardReader.serial');
    // A reader on two links at once.
    expectInvalidAt({ 'devices.idCardReader.tcp': { host: 'h', port: 1 } }, 'devices.idCardReader');
  });

  it('names a bad platform baseUrl', () => {
    expectInvalidAt({ 'platform.baseUrl': 'not a url' }, 'platform.baseUrl');
    expectInvalidAt({ 'platform.baseUrl': 42 }, 'platform.baseUrl');
  });

  it('requires https for a platform beyond loopback, unless allowInsecureHttp says so', () => {
    const plain = expectInvalidAt(
      { 'platform.baseUrl': 'http://credit.example.gov.cn/api' },
      'platform.baseUrl',
    );
    expect(plain.message).toContain('must be https://');
    expectInvalidAt({ 'platform.baseUrl': 'http://10.1.2.3:8080' }, 'platform.baseUrl');
    for (const baseUrl of [
      'http://127.0.0.1:8080',
      'http://localhost:8080',
      'https://credit.example.gov.cn/api',
    ]) {
      expect(parseGateConfig(siteConfigWith({ 'platform.baseUrl': baseUrl })).platform?.baseUrl).toBe(
        baseUrl,
      );
    }
    const allowed = parseGateConfig(
      siteConfigWith({ 'platform.baseUrl': 'http://10.1.2.3:8080', 'platform.allowInsecureHttp': true }),
    );
    expect(allowed.platform?.allowInsecureHttp).toBe(true);
  });

  it('checks the transport, status-list, floor and byte-limit settings of the platform', () => {
    const https = { 'platform.baseUrl': 'https://credit.example.gov.cn/api' };
    const pin = `${'A'.repeat(43)}=`;
    const config = parseGateConfig(
      siteConfigWith({
        ...https,
        'platform.caFile': 'city-ca.pem',
        'platform.spkiSha256Pins': [pin],
        'platform.maxStatusAgeMs': 6 * 3_600_000,
        'platform.minTrustListVersion': 7,
        'platform.maxResponseBytes': { snapshot: 64 * 1024 * 1024 },
      }),
    );
    expect(config.platform).toMatchObject({ minTrustListVersion: 7, maxStatusAgeMs: 21_600_000 });
    expectInvalidAt({ ...https, 'platform.spkiSha256Pins': ['not-a-pin'] }, 'platform.spkiSha256Pins.0');
    expectInvalidAt({ 'platform.spkiSha256Pins': [pin] }, 'platform.spkiSha256Pins');
    expectInvalidAt({ 'platform.caFile': 'ca.pem' }, 'platform.caFile');
    expectInvalidAt({ 'platform.maxStatusAgeMs': 8 * 86_400_000 }, 'platform.maxStatusAgeMs');
    expectInvalidAt({ 'platform.minTrustListVersion': -1 }, 'platform.minTrustListVersion');
    expectInvalidAt({ 'platform.maxResponseBytes': { snapshots: 1 } }, 'platform.maxResponseBytes');
  });

  it('names the field of a bad secret reference, and never echoes a secret value', () => {
    expectInvalidAt({ pseudonymKey: { env: 5 } }, 'pseudonymKey.env');
    expectInvalidAt({ 'platform.snapshotPublicKeys': [] }, 'platform.snapshotPublicKeys');
    const error = expectInvalidAt(
      { pseudonymKey: { value: 'do-not-print-this-key-0123456789', note: 'x' } },
      'pseudonymKey',
    );
    expect(error.message).not.toContain('do-not-print-this-key');
  });

  it('a secret given as a plain string, missing, or mixing forms says which forms are accepted', () => {
    const forms = '{ "file": "path" }, { "env": "NAME" } or { "value": "…" }';
    const plain = expectInvalidAt({ 'platform.secret': 'hunter2-plain-secret' }, 'platform.secret');
    expect(plain.message).toBe(
      `site.json: platform.secret: is a plain string: a secret is never written in the configuration as text; give it as ${forms}`,
    );
    expect(plain.message).not.toContain('hunter2');
    expect(expectInvalidAt({ pseudonymKey: undefined }, 'pseudonymKey').message).toBe(
      `site.json: pseudonymKey: is missing: give the secret as ${forms}`,
    );
    expect(expectInvalidAt({ pseudonymKey: { file: 'k', env: 'K' } }, 'pseudonymKey').message).toContain(
      `give exactly one of ${forms}`,
    );
    expect(
      expectInvalidAt({ 'platform.snapshotPublicKeys': ['PEM'] }, 'platform.snapshotPublicKeys.0').message,
    ).toContain('is a plain string');
  });

  it('lists every problem at once, one line each with its path, not only the first', () => {
    const error = configError(() =>
      parseGateConfig(
        siteConfigWith({
          terminalId: '',
          pseudonymKey: undefined,
          'platform.secret': 'plain',
          'devices.gate.address': 0,
          'http.port': 70_000,
          colour: 'blue',
        }),
        'gate.json',
      ),
    );
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('gate.json: 6 problems');
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gate\.json: terminalId: /),
        expect.stringMatching(/^gate\.json: pseudonymKey: is missing/),
        expect.stringMatching(/^gate\.json: platform\.secret: is a plain string/),
        expect.stringMatching(/^gate\.json: devices\.gate\.address: /),
        expect.stringMatching(/^gate\.json: http\.port: /),
        expect.stringMatching(/^gate\.json: \(root\): Unrecognized key: "colour"/),
      ]),
    );
    expect(lines).toHaveLength(7);
    expect(error.details).toMatchObject({ problems: 6, path: expect.any(String) });
    // The CLI prints all of them, not only its first line.
    expect(describeFailure(error, 'gate').line.split('\n')).toHaveLength(7);
  });

  it('refuses a non-object', () => {
    expect(configError(() => parseGateConfig(null)).details.path).toBe('(root)');
    expect(configError(() => parseGateConfig([])).details.path).toBe('(root)');
  });
});

describe('loadGateConfig', () => {
  it('reads, validates and returns the folder that relative paths are resolved against', () => {
    const folder = join(dir, 'site');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, 'gate.json');
    writeFileSync(file, JSON.stringify(siteConfig()));
    const { config, baseDir } = loadGateConfig(file);
    expect(config.terminalId).toBe('gate-yunmenshan-01');
    expect(baseDir).toBe(folder);
    expect(configPath(baseDir, 'data')).toBe(join(folder, 'data'));
    expect(configPath(baseDir, '/var/lib/xinyi')).toBe('/var/lib/xinyi');
  });

  it('CONFIG_INVALID for a missing file, a file that is not JSON, and an invalid configuration', () => {
    const missing = configError(() => loadGateConfig(join(dir, 'nope.json')));
    expect(missing.message).toContain('nope.json');

    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ "terminalId": "gate-1", ');
    expect(configError(() => loadGateConfig(notJson)).message).toContain('broken.json');

    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...siteConfig(), terminalId: '' }));
    const error = configError(() => loadGateConfig(invalid));
    expect(error.details.path).toBe('terminalId');
    expect(error.message).toContain('invalid.json');
  });
});

describe('loadGateConfig: JSON syntax errors by line and column', () => {
  const cases: [string, string, number, number, string][] = [
    [
      'a missing comma',
      '{\n  "terminalId": "gate-1"\n  "dataDir": "data"\n}\n',
      3,
      3,
      "expected ',' or '}' after a property value, found '\"'",
    ],
    ['a trailing comma', '{\n  "a": [1, 2,],\n}', 2, 14, "a ',' before ']' (JSON has no trailing commas)"],
    ['a bare word', '{\n  "pseudonymKey": secret-inline-key\n}', 2, 19, "'s' does not start a value"],
    [
      'single quotes',
      "{\n  'terminalId': 'x'\n}",
      2,
      3,
      "expected a property name in double quotes, found '''",
    ],
    [
      'a comment',
      '{\n  // the lane\n  "a": 1\n}',
      2,
      3,
      "expected a property name in double quotes, found '/'",
    ],
    [
      'a cut-off file',
      '{\n  "terminalId": "gate-1",\n',
      3,
      1,
      'expected a property name in double quotes, found the end of the file',
    ],
    ['an unclosed string', '{ "a": "x\n" }', 1, 10, 'a line break or control character inside a string'],
  ];
  for (const [what, text, line, column, reason] of cases) {
    it(`${what}: line ${line}, column ${column}`, () => {
      const file = join(dir, 'syntax.json');
      writeFileSync(file, text);
      const error = configError(() => loadGateConfig(file));
      expect(error.message).toBe(
        `${file}: not valid JSON at line ${line}, column ${column}: ${reason}${reason.endsWith('string') ? ' (write it as \\n, \\t …)' : ''}`,
      );
      expect(error.details).toEqual({ line, column });
      // The file's text is not quoted (an inline secret may be in it).
      expect(error.message).not.toContain('secret-inline-key');
    });
  }
});

describe('readSecret', () => {
  const ENV = 'XINYI_GATE_CONFIG_TEST_SECRET';
  afterEach(() => {
    delete process.env[ENV];
  });

  it('reads a secret from the environment, a file (relative to the config, trimmed) or the value itself', () => {
    process.env[ENV] = 'from-the-environment';
    expect(readSecret({ env: ENV }, dir, 'pseudonymKey')).toBe('from-the-environment');
    writeFileSync(join(dir, 'secret.txt'), 'from-a-file\n');
    expect(readSecret({ file: 'secret.txt' }, dir, 'platform.secret')).toBe('from-a-file');
    expect(readSecret({ file: join(dir, 'secret.txt') }, '/elsewhere', 'platform.secret')).toBe(
      'from-a-file',
    );
    expect(readSecret({ value: 'inline' }, dir, 'pseudonymKey')).toBe('inline');
  });

  it('CONFIG_INVALID naming the variable when it is unset or empty', () => {
    for (const value of [undefined, '']) {
      if (value === undefined) delete process.env[ENV];
      else process.env[ENV] = value;
      const error = configError(() => readSecret({ env: ENV }, dir, 'pseudonymKey'));
      expect(error.message).toContain(ENV);
      expect(error.message).toContain('pseudonymKey');
      expect(error.details.field).toBe('pseudonymKey');
    }
  });

  it('CONFIG_INVALID naming the file reference when it cannot be read', () => {
    const error = configError(() => readSecret({ file: 'missing.key' }, dir, 'platform.secret'));
    expect(error.message).toContain('missing.key');
    expect(error.details.field).toBe('platform.secret');
  });
});

describe('redactConfig', () => {
  it('replaces inline secret values and keeps env and file references', () => {
    const raw = siteConfigWith({
      pseudonymKey: { value: 'inline-pseudonym-key-0123456789' },
      'platform.secret': { env: 'XINYI_PLATFORM_SECRET' },
      'platform.snapshotPublicKeys': [{ value: 'PEM-snapshot-key-one' }, { file: 'snapshot-2.pem' }],
    });
    const config: GateConfig = parseGateConfig(raw);
    const redacted = redactConfig(config) as GateConfig;
    expect(redacted.pseudonymKey).toEqual({ value: '[redacted]' });
    expect(redacted.platform?.secret).toEqual({ env: 'XINYI_PLATFORM_SECRET' });
    expect(redacted.platform?.trustRootPublicKey).toEqual({ file: join(dir, 'trust-root.pem') });
    expect(redacted.platform?.snapshotPublicKeys).toEqual([
      { value: '[redacted]' },
      { file: 'snapshot-2.pem' },
    ]);
    const text = JSON.stringify(redacted);
    expect(text).not.toContain('inline-pseudonym-key');
    expect(text).not.toContain('PEM-snapshot-key-one');
    // Everything else is as configured, and the original is left alone.
    expect(redacted.devices).toEqual(JSON.parse(JSON.stringify(config.devices)));
    expect(config.pseudonymKey).toEqual({ value: 'inline-pseudonym-key-0123456789' });
  });
});

describe('gate config: calendar and policy documents', () => {
  function configError(value: unknown): XinyiError {
    try {
      parseGateConfig(value, 'gate.json');
    } catch (error) {
      if (isXinyiError(error)) return error;
      throw error;
    }
    throw new Error('expected CONFIG_INVALID');
  }

  it('takes a calendar file with its key, a signed policy document with its key, and a check interval', () => {
    const config = parseGateConfig({
      ...siteConfig(),
      calendar: { file: 'calendar.json', publicKey: { file: 'calendar.pem' } },
      policy: { file: 'pack.signed.json', publicKey: { file: 'policy.pem' } },
      documents: { checkIntervalMs: 5_000 },
    });
    expect(config.calendar).toEqual({ file: 'calendar.json', publicKey: { file: 'calendar.pem' } });
    expect(config.policy).toEqual({ file: 'pack.signed.json', publicKey: { file: 'policy.pem' } });
    expect(config.documents.checkIntervalMs).toBe(5_000);
    // A plain pack file, as before, and no documents section.
    const plain = parseGateConfig({ ...siteConfig(), policy: { file: 'pack.json' } });
    expect(plain.policy).toEqual({ file: 'pack.json' });
    expect(plain.documents).toEqual({});
  });

  it('refuses a calendar without its public key, and a misspelt key', () => {
    expect(configError({ ...siteConfig(), calendar: { file: 'calendar.json' } }).details.path).toBe(
      'calendar.publicKey',
    );
    expect(
      configError({ ...siteConfig(), calendar: { file: 'c.json', publicKey: { file: 'k' }, pubKey: 'x' } })
        .details.path,
    ).toBe('calendar');
  });
});
