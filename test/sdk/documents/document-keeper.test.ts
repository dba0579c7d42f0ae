import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chinaHolidayCalendar } from '../../../sdk/calendar/index.js';
import { createDocumentKeeper } from '../../../sdk/documents/document-keeper.js';
import { SignedDocumentProblem } from '../../../sdk/documents/signed-document.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { createJsonLogger } from '../../../sdk/logger.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { documentSigners, signedCalendar, signedPolicy, YEAR_2027 } from './fixtures.js';

const signers = documentSigners();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-documents-'));
  dirs.push(dir);
  return dir;
}

function keeper(options: { cacheDir?: string; nowMs?: number; keys?: typeof signers.keys } = {}) {
  const lines: Record<string, unknown>[] = [];
  let now = options.nowMs ?? Date.parse('2026-12-07T10:00:00+08:00');
  const k = createDocumentKeeper({
    keys: options.keys ?? signers.keys,
    clock: { now: () => now },
    logger: createJsonLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  });
  const setNow = (iso: string): void => {
    now = Date.parse(iso);
  };
  return { keeper: k, lines, setNow };
}

async function refused(run: () => Promise<unknown>): Promise<XinyiError> {
  try {
    await run();
  } catch (error) {
    if (isXinyiError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const pack2 = { ...structuredClone(qingzhouPolicyPack), version: '2027.1.0' };
const pack3 = { ...structuredClone(qingzhouPolicyPack), version: '2027.2.0' };

describe('DocumentKeeper: calendar documents', () => {
  it('a calendar document adds an official 2027 to the bundled years; the rest stays provisional', async () => {
    const { keeper: k } = keeper();
    expect(k.calendar().dayInfo('2027-02-11')).toMatchObject({ kind: 'workday', provisional: true });
    const result = await k.accept('calendar', signedCalendar(signers.calendarKey, 1), 'platform');
    expect(result).toMatchObject({ kind: 'calendar', outcome: 'updated', version: 1 });
    expect(result.years).toEqual({ added: [2027], rewritten: [], removed: [] });
    const calendar = k.calendar();
    expect(calendar.officialYears).toEqual([2024, 2025, 2026, 2027]);
    expect(calendar.version).toBe('cn-holidays-2024.2026.1+calendar-doc.1+provisional-cn.2025.1');
    expect(calendar.dayInfo('2027-02-11')).toEqual({
      date: '2027-02-11',
      kind: 'statutory-holiday',
      holidayName: '春节',
      isOffDay: true,
    });
    expect(calendar.dayInfo('2027-02-20')).toMatchObject({ kind: 'makeup-workday' });
    expect(calendar.dayInfo('2026-10-03')).toEqual(chinaHolidayCalendar.dayInfo('2026-10-03'));
    expect(calendar.dayInfo('2028-01-05').provisional).toBe(true);
  });

  it('refuses a lower version (rollback) and the same version with another content, keeping the held one', async () => {
    const { keeper: k, lines } = keeper();
    const refusals: string[] = [];
    k.on('refused', (r) => refusals.push(`${r.kind}:${r.origin}:${r.reason}`));
    await k.accept('calendar', signedCalendar(signers.calendarKey, 5), 'platform');
    const older = await refused(() =>
      k.accept('calendar', signedCalendar(signers.calendarKey, 4), 'platform'),
    );
    expect(older.details).toMatchObject({ reason: SignedDocumentProblem.ROLLBACK, version: 4, held: 5 });
    const y = structuredClone(YEAR_2027);
    y.periods[1]!.to = '2027-02-13';
    const conflict = await refused(() =>
      k.accept('calendar', signedCalendar(signers.calendarKey, 5, [y]), 'file'),
    );
    expect(conflict.details.reason).toBe(SignedDocumentProblem.CONFLICT);
    expect(k.status().calendar.documentVersion).toBe(5);
    expect(k.calendar().dayInfo('2027-02-13').kind).toBe('weekend');
    expect(refusals).toEqual(['calendar:platform:DOCUMENT_ROLLBACK', 'calendar:file:DOCUMENT_CONFLICT']);
    expect(lines.filter((l) => l.msg === 'document refused; the one held is kept')).toHaveLength(2);
    expect(k.status().refusals.map((r) => r.origin)).toEqual(['platform', 'file']);
    // The same document again is unchanged, and a good answer from an origin ends its refusal.
    expect((await k.accept('calendar', signedCalendar(signers.calendarKey, 5), 'platform')).outcome).toBe(
      'unchanged',
    );
    expect(k.status().refusals.map((r) => r.origin)).toEqual(['file']);
  });

  it('a passive re-read of an older file is stale, not a refusal', async () => {
    const { keeper: k } = keeper();
    await k.accept('calendar', signedCalendar(signers.calendarKey, 5), 'platform');
    const result = await k.accept('calendar', signedCalendar(signers.calendarKey, 2), 'file', {
      passive: true,
    });
    expect(result).toMatchObject({ outcome: 'stale', version: 2, previousVersion: 5 });
    expect(k.status().refusals).toEqual([]);
  });

  it('a higher version that rewrites and drops covered years is taken and logged as such', async () => {
    const { keeper: k, lines } = keeper();
    const y2028 = { ...structuredClone(YEAR_2027), year: 2028, periods: [], makeupWorkdays: [] };
    await k.accept('calendar', signedCalendar(signers.calendarKey, 1, [YEAR_2027, y2028]), 'platform');
    const y = structuredClone(YEAR_2027);
    y.periods[6]!.to = '2027-10-08';
    const result = await k.accept('calendar', signedCalendar(signers.calendarKey, 2, [y]), 'platform');
    expect(result.years).toEqual({ added: [], rewritten: [2027], removed: [2028] });
    expect(lines.find((l) => l.msg === 'calendar document rewrites or drops covered years')).toMatchObject({
      version: 2,
      previousVersion: 1,
      rewritten: [2027],
      removed: [2028],
    });
    expect(k.calendar().dayInfo('2027-10-08').holidayName).toBe('国庆节');
    expect(k.calendar().dayInfo('2028-10-08').provisional).toBe(true);
  });

  it('refuses a malformed document without touching what is held, and says why', async () => {
    const { keeper: k } = keeper();
    await k.accept('calendar', signedCalendar(signers.calendarKey, 1), 'platform');
    const y = structuredClone(YEAR_2027);
    y.periods.push({ name: '国庆节', from: '2027-10-05', to: '2027-10-09' });
    const error = await refused(() =>
      k.accept('calendar', signedCalendar(signers.calendarKey, 2, [y]), 'platform'),
    );
    expect(error.code).toBe('CALENDAR_INVALID');
    expect(k.status().calendar.documentVersion).toBe(1);
    expect(k.status().refusals[0]).toMatchObject({ kind: 'calendar', code: 'CALENDAR_INVALID' });
  });

  it('caches what it took and re-verifies it at the next start; a cache it cannot verify is dropped', async () => {
    const cacheDir = tempDir();
    const first = keeper({ cacheDir });
    await first.keeper.accept('calendar', signedCalendar(signers.calendarKey, 3), 'platform');
    await first.keeper.accept('policy-pack', signedPolicy(signers.policyKey, 7, pack2), 'platform');

    const second = keeper({ cacheDir });
    expect(second.keeper.status().calendar.documentVersion).toBe(3);
    expect(second.keeper.calendar().officialYears).toContain(2027);
    expect(second.keeper.policyAt(Date.now()).version).toBe('2027.1.0');

    // The key was withdrawn from the trust list: the cached documents no longer verify.
    const withdrawn = keeper({ cacheDir, keys: () => [] });
    expect(withdrawn.keeper.status().calendar.documentVersion).toBeNull();
    expect(withdrawn.keeper.policyAt(Date.now())).toBe(qingzhouPolicyPack);
    expect(
      withdrawn.lines.filter((l) => l.msg === 'cached document refused on re-verification; dropped'),
    ).toHaveLength(2);

    // A cache edited on disk does not verify either.
    const file = join(cacheDir, 'calendar.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('国庆节', '国庆'));
    expect(keeper({ cacheDir }).keeper.status().calendar.documentVersion).toBeNull();
  });
});

describe('DocumentKeeper: policy-pack documents', () => {
  it('a staged pack takes effect at its effectiveFrom; before it the held pack stays in force', async () => {
    const { keeper: k, setNow, lines } = keeper({ nowMs: Date.parse('2026-12-31T12:00:00+08:00') });
    const effective: string[] = [];
    k.on('effective', (e) => effective.push(e.policyVersion));
    await k.accept('policy-pack', signedPolicy(signers.policyKey, 1, pack2), 'platform');
    await k.accept(
      'policy-pack',
      signedPolicy(signers.policyKey, 2, pack3, '2027-01-01T00:00:00+08:00'),
      'platform',
    );
    const before = Date.parse('2026-12-31T23:59:59+08:00');
    expect(k.policyAt(before).version).toBe('2027.1.0');
    expect(k.status(before).policy).toEqual({
      inForce: 'qingzhou-xinyi@2027.1.0',
      documentVersion: 1,
      staged: [
        { version: 2, policyVersion: 'qingzhou-xinyi@2027.2.0', effectiveFrom: '2026-12-31T16:00:00.000Z' },
      ],
    });
    setNow('2027-01-01T00:00:00+08:00');
    expect(k.policyAt(Date.parse('2027-01-01T00:00:00+08:00')).version).toBe('2027.2.0');
    expect(effective).toEqual(['qingzhou-xinyi@2027.2.0']);
    expect(lines.find((l) => l.msg === 'policy pack in force')).toMatchObject({ documentVersion: 2 });
    expect(k.status().policy.staged).toEqual([]);
  });

  it('a staged pack survives a restart before it takes effect', async () => {
    const cacheDir = tempDir();
    const nowMs = Date.parse('2026-12-31T12:00:00+08:00');
    const first = keeper({ cacheDir, nowMs });
    await first.keeper.accept('policy-pack', signedPolicy(signers.policyKey, 1, pack2), 'platform');
    await first.keeper.accept(
      'policy-pack',
      signedPolicy(signers.policyKey, 2, pack3, '2027-01-01T00:00:00+08:00'),
      'platform',
    );
    const second = keeper({ cacheDir, nowMs });
    expect(second.keeper.policyAt(nowMs).version).toBe('2027.1.0');
    expect(second.keeper.policyAt(Date.parse('2027-01-01T00:00:01+08:00')).version).toBe('2027.2.0');
  });

  it('a pack that fails validation or signature is refused and the held one kept, with the refusal reported', async () => {
    const { keeper: k } = keeper();
    await k.accept('policy-pack', signedPolicy(signers.policyKey, 1, pack2), 'file');
    const bad = structuredClone(pack3);
    bad.trustworthyMinTier = 'Z' as never;
    const invalid = await refused(() =>
      k.accept('policy-pack', signedPolicy(signers.policyKey, 2, bad), 'platform'),
    );
    expect(invalid.details.path).toBe('pack.trustworthyMinTier');
    const forged = await refused(() =>
      k.accept('policy-pack', signedPolicy(signers.calendarKey, 2, pack3), 'platform'),
    );
    expect(forged.details.reason).toBe(SignedDocumentProblem.UNKNOWN_KEY);
    expect(k.policyAt(Date.now()).version).toBe('2027.1.0');
    expect(k.status().refusals).toEqual([
      expect.objectContaining({
        kind: 'policy-pack',
        origin: 'platform',
        reason: SignedDocumentProblem.UNKNOWN_KEY,
      }),
    ]);
  });

  it('without documents the base pack is in force', () => {
    const { keeper: k } = keeper();
    expect(k.policyAt(Date.now())).toBe(qingzhouPolicyPack);
    expect(k.status().policy).toEqual({
      inForce: 'qingzhou-xinyi@2026.3.0',
      documentVersion: null,
      staged: [],
    });
  });
});
