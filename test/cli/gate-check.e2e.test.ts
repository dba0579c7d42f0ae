// `xinyi gate --check` runs doctor's checks that need no device and no running daemon, so a
// configuration --check passes is one `xinyi gate` and `xinyi doctor` accept too.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../cli/doctor-command.js';
import { runXinyi } from './run-xinyi.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-gate-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, overrides: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      terminalId: 'gate-check-01',
      pseudonymKey: { file: 'pseudonym.key' },
      dataDir: 'data',
      // A device that is not there: --check does not look at devices, doctor does.
      devices: { gate: { protocol: 'aa-frame', link: { serial: { path: join(dir, 'ttyUSB9') } } } },
      http: { host: '127.0.0.1', port: 0 },
      ...overrides,
    }),
  );
  return file;
}

const problemLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('problem: '))
    .map((l) => l.slice('problem: '.length));

describe('xinyi gate --check', () => {
  it('refuses a weak pseudonym key as doctor does (the SDK alone would take 20 bytes)', async () => {
    writeFileSync(join(dir, 'pseudonym.key'), 'gate-check-key-2f9a1', { mode: 0o600 });
    const file = writeConfig('weak', {});
    const check = await runXinyi(['gate', '--config', file, '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(1);
    const problems = problemLines(check.stdout);
    expect(problems).toEqual(['pseudonymKey is weak: 20 bytes, fewer than 32']);
    expect(check.stdout).toContain(`${file}: valid, but 1 problem(s) above`);
    // The same words as doctor's, which also finds the missing device --check does not look for.
    const doctor = await runDoctor({ configFile: file, timeoutMs: 500 });
    for (const problem of problems) expect(doctor.problems).toContain(problem);
    expect(doctor.problems).toContainEqual(expect.stringMatching(/^device .*ttyUSB9 does not exist$/));
    expect(problems.some((p) => p.startsWith('device'))).toBe(false);
  });

  it('lists every problem doctor finds without a device: unusable secrets, an unreadable policy, an unreachable platform', async () => {
    writeFileSync(join(dir, 'pseudonym.key'), 'hex:0011', { mode: 0o600 });
    const file = writeConfig('several', {
      policy: { file: 'no-such-pack.json' },
      platform: {
        baseUrl: 'http://127.0.0.1:9',
        keyId: 'terminals',
        secret: { env: 'XINYI_GATE_CHECK_UNSET' },
        trustRootPublicKey: { value: 'not a PEM' },
        snapshotPublicKeys: [{ file: 'missing.pem' }],
      },
    });
    const check = await runXinyi(['gate', '--config', file, '--check']);
    expect(check.code).toBe(1);
    const problems = problemLines(check.stdout);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^secret pseudonymKey resolves but is not usable as a pseudonym key .*16 bytes/,
        ),
        expect.stringMatching(
          /^secret platform\.secret does not resolve .*XINYI_GATE_CHECK_UNSET is not set/,
        ),
        expect.stringMatching(
          /^secret platform\.trustRootPublicKey resolves but is not usable as a public key/,
        ),
        expect.stringMatching(
          /^secret platform\.snapshotPublicKeys\.0 does not resolve .*missing\.pem \(ENOENT\)/,
        ),
        expect.stringMatching(/^policy: no-such-pack\.json cannot be loaded/),
        expect.stringMatching(/^platform: http:\/\/127\.0\.0\.1:9 is not reachable/),
      ]),
    );
    const doctor = await runDoctor({ configFile: file, timeoutMs: 500 });
    for (const problem of problems) expect(doctor.problems).toContain(problem);
  });

  it('a configuration with several problems prints all of them, each with its path', async () => {
    const file = writeConfig('invalid', {
      terminalId: '',
      pseudonymKey: 'plain-text-key',
      lane: { direction: 'sideways' },
    });
    const check = await runXinyi(['gate', '--config', file, '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr.trim().split('\n')).toEqual([
      `xinyi: CONFIG_INVALID: ${file}: 3 problems`,
      expect.stringMatching(new RegExp(`^${file}: terminalId: `)),
      `${file}: pseudonymKey: is a plain string: a secret is never written in the configuration as text; give it as { "file": "path" }, { "env": "NAME" } or { "value": "…" }`,
      expect.stringMatching(new RegExp(`^${file}: lane\\.direction: `)),
    ]);
    expect(check.stderr).not.toContain('plain-text-key');
  });

  it('a file that is not JSON names the line and column', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "terminalId": "gate-check-01",\n  "dataDir": "data",,\n}\n');
    const check = await runXinyi(['gate', '--config', file, '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr.trim()).toBe(
      `xinyi: CONFIG_INVALID: ${file}: not valid JSON at line 3, column 21: expected a property name in double quotes, found ','`,
    );
  });
});
