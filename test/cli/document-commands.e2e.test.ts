// `xinyi calendar show|import` and `xinyi policy import` as an operator runs them beside a gate daemon.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qingzhouPolicyPack } from '../../sdk/policy/qingzhou-pack.js';
import { computedYears, signedCalendar, signedPolicy } from '../sdk/documents/fixtures.js';
import { runXinyi } from './run-xinyi.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-document-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = (key: { export(o: { type: 'spki'; format: 'pem' }): string | Buffer }) =>
  key.export({ type: 'spki', format: 'pem' }).toString();
const calendarKeys = generateKeyPairSync('ed25519');
const policyKeys = generateKeyPairSync('ed25519');
const thisYear = new Date().getUTCFullYear();

function gateConfig(name: string): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'calendar.pem'), pem(calendarKeys.publicKey));
  writeFileSync(join(folder, 'policy.pem'), pem(policyKeys.publicKey));
  // The configured calendar file does not exist yet: the lane runs on the bundled one until it does.
  const config = {
    terminalId: 'gate-cli-docs',
    pseudonymKey: { value: 'document-cli-test-key-0123456789ab' },
    dataDir: 'data',
    devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
    calendar: { file: 'calendar.json', publicKey: { file: 'calendar.pem' } },
    policy: { file: 'policy.json', publicKey: { file: 'policy.pem' } },
  };
  const file = join(folder, 'gate.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('xinyi calendar and xinyi policy', () => {
  it('calendar show: the bundled calendar, and a provisional year marked as such', async () => {
    const run = await runXinyi(['calendar', 'show', '2027', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const view = JSON.parse(run.stdout);
    expect(view.officialYears).toEqual([2024, 2025, 2026]);
    expect(view.year).toMatchObject({ year: 2027, provisional: true, makeupWorkdays: [] });
    expect(view.year.periods).toContainEqual({ name: '春节', from: '2027-02-05', to: '2027-02-10', days: 6 });
    const text = await runXinyi(['calendar', 'show', '2026']);
    expect(text.stdout).toContain('2026: official — bundled: https://www.gov.cn/');
    expect(text.stdout).toContain('国庆节　  2026-10-01 – 2026-10-07  7 days');
  });

  it('calendar import verifies, installs into the data folder, and refuses an older or forged file', async () => {
    const config = gateConfig('import');
    const file = join(dir, 'import', 'next.json');
    writeFileSync(
      file,
      signedCalendar(calendarKeys.privateKey, 2, computedYears(thisYear + 1, thisYear + 1)),
    );
    const run = await runXinyi(['calendar', 'import', file, '--config', config]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('installed calendar document version 2');
    const installed = join(dir, 'import', 'data', 'documents', 'calendar.json');
    expect(readFileSync(installed, 'utf8')).toBe(readFileSync(file, 'utf8'));

    const shown = JSON.parse(
      (await runXinyi(['calendar', 'show', String(thisYear + 1), '--config', config, '--json'])).stdout,
    );
    expect(shown.officialYears).toContain(thisYear + 1);
    expect(shown.year.provisional).toBe(false);

    writeFileSync(
      file,
      signedCalendar(calendarKeys.privateKey, 1, computedYears(thisYear + 1, thisYear + 1)),
    );
    const older = await runXinyi(['calendar', 'import', file, '--config', config]);
    expect(older.code).toBe(1);
    expect(older.stderr).toMatch(
      /^xinyi: DOCUMENT_INVALID: calendar document: version: version 1 is older than the one held \(2\)/,
    );
    writeFileSync(file, signedCalendar(generateKeyPairSync('ed25519').privateKey, 3));
    const forged = await runXinyi(['calendar', 'import', file, '--config', config]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('DOCUMENT_INVALID: calendar document: kid: no key');
    expect(JSON.parse(JSON.parse(readFileSync(installed, 'utf8')).payload).version).toBe(2);
  });

  it('policy import refuses a pack that fails validation and installs a good one', async () => {
    const config = gateConfig('policy');
    const file = join(dir, 'policy', 'pack.json');
    const bad = structuredClone(qingzhouPolicyPack);
    bad.rules[0]!.scene = 'moon-base' as never;
    writeFileSync(file, signedPolicy(policyKeys.privateKey, 1, bad));
    const refused = await runXinyi(['policy', 'import', file, '--config', config]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^xinyi: POLICY_PACK_INVALID: policy pack document: pack\.rules\[0\]\.scene: /,
    );
    expect(existsSync(join(dir, 'policy', 'data', 'documents', 'policy-pack.json'))).toBe(false);

    writeFileSync(
      file,
      signedPolicy(policyKeys.privateKey, 1, qingzhouPolicyPack, '2027-01-01T00:00:00+08:00'),
    );
    const run = await runXinyi(['policy', 'import', file, '--config', config]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'installed policy-pack document version 1 (qingzhou-xinyi@2026.3.0, effective 2027-01-01T00:00:00+08:00)',
    );
  });

  it('usage errors exit 2', async () => {
    const run = await runXinyi(['calendar', 'import', 'x.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('import needs --config FILE');
  });
});
