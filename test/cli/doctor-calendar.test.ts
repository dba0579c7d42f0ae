// `xinyi doctor`'s calendar check, in-process on an injected clock: a warning when the official
// calendar ends within 60 days, none once a signed calendar reaches further, a problem for a forged one.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../cli/doctor-command.js';
import { signedCalendar, YEAR_2027 } from '../sdk/documents/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-doctor-calendar-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PSEUDONYM_KEY = 'doctor-test-pseudonym-key-5f1c2e-7d9a41b0c3e8';

/** A gate.json in its own folder under `dir`; the calendar files sit beside it. */
function writeConfig(name: string, config: Record<string, unknown>): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'gate.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe('xinyi doctor: the calendar', () => {
  it('warns when the official calendar ends within 60 days, and not once a signed calendar reaches further', async () => {
    const folder = join(dir, 'calendar');
    mkdirSync(folder, { recursive: true });
    const base = {
      terminalId: 'gate-doctor-cal',
      pseudonymKey: { value: PSEUDONYM_KEY },
      dataDir: 'data',
      devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
      http: { host: '127.0.0.1', port: 1 },
    };
    const at = (iso: string) => ({ now: () => Date.parse(iso) });
    const bare = await runDoctor({
      configFile: writeConfig('calendar-bare', base),
      clock: at('2026-11-15T09:00:00+08:00'),
    });
    expect(bare.calendar).toMatchObject({ officialThrough: '2026-12-31', officialDaysLeft: 47 });
    expect(bare.problems).toContain(
      'calendar: official coverage ends 2026-12-31, in 47 days: import the next notice (xinyi calendar import) or let the platform sync it',
    );
    const early = await runDoctor({
      configFile: writeConfig('calendar-early', base),
      clock: at('2026-10-15T09:00:00+08:00'),
    });
    expect(early.problems.some((p) => p.startsWith('calendar'))).toBe(false);
    const after = await runDoctor({
      configFile: writeConfig('calendar-after', base),
      clock: at('2027-01-05T09:00:00+08:00'),
    });
    expect(after.problems.find((p) => p.startsWith('calendar'))).toMatch(
      /^calendar: no official arrangement covers today \(2027-01-05\)/,
    );

    // Signed on 2026-11-20 (YEAR_2027's document), looked at five days later.
    const keys = generateKeyPairSync('ed25519');
    writeFileSync(join(folder, 'calendar-2027.json'), signedCalendar(keys.privateKey, 2, [YEAR_2027]));
    writeFileSync(
      join(folder, 'calendar.pem'),
      keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    const withCalendar = await runDoctor({
      configFile: writeConfig('calendar', {
        ...base,
        calendar: { file: 'calendar-2027.json', publicKey: { file: 'calendar.pem' } },
      }),
      clock: at('2026-11-25T09:00:00+08:00'),
    });
    expect(withCalendar.secrets['calendar.publicKey']).toBe(true);
    expect(withCalendar.calendar).toMatchObject({
      officialThrough: '2027-12-31',
      officialYears: [2024, 2025, 2026, 2027],
    });
    expect(withCalendar.problems.some((p) => p.startsWith('calendar'))).toBe(false);

    // A calendar file signed by another key is a problem, and the bundled calendar stays.
    writeFileSync(
      join(folder, 'calendar.pem'),
      generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    const forged = await runDoctor({
      configFile: writeConfig('calendar', {
        ...base,
        calendar: { file: 'calendar-2027.json', publicKey: { file: 'calendar.pem' } },
      }),
      clock: at('2026-11-25T09:00:00+08:00'),
    });
    expect(forged.problems.find((p) => p.startsWith('calendar document'))).toMatch(/DOCUMENT_INVALID/);
    expect(forged.calendar?.officialThrough).toBe('2026-12-31');
  });
});
