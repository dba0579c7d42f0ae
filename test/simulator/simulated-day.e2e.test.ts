import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import type { DisclosureRecord } from '../../sdk/journal/journal-store.js';
import {
  runSimulatedDay,
  type SimulatedDayContext,
  type SimulatedVisit,
  simulatedDayOrganisations,
  simulatedDayPeople,
} from '../../simulator/simulated-day.js';

// Without better-sqlite3 the demo keeps its journal in memory and runs without its snapshot.
const sqlite = await loadSqliteDriver().then(
  () => true,
  () => false,
);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('runSimulatedDay (the `npm start` demo)', () => {
  it('taps cards through the virtual readers, shows the fail-safe paths, and leaks no ID number', async () => {
    const seen: SimulatedVisit[] = [];
    let finished: { dataDir: string; uploadedKeys: Map<string, number> } | undefined;
    const summary = await runSimulatedDay({
      seed: 'demo-test',
      people: 20,
      visits: 12,
      onFinish: ({ dataDir, journal, platform }: SimulatedDayContext) => {
        // Read while the journal is still open: it is closed right after onFinish.
        expect(seen).toHaveLength(12);
        for (const v of seen) {
          const record = journal.getDecision(v.decision.id);
          expect(record?.terminalId).toBe(v.terminalId);
          expect(record?.decision.outcome).toBe(v.decision.outcome);
        }
        finished = { dataDir, uploadedKeys: new Map(platform.uploads.receivedByKey.decisions) };
      },
      onDecision: (visit) => {
        seen.push(visit);
      },
    });
    expect(summary.visits).toHaveLength(12);
    const bad = summary.visits.find((v) => v.via === 'bad-id-card');
    expect(bad?.decision.reasons).toEqual([{ code: 'CREDENTIAL_INVALID' }]);
    // With the platform down, cards fall back to the offline snapshot; someone it does not know gets
    // normal service with the reason recorded.
    const down = summary.visits.filter(
      (x) => x.platformDown && x.via !== 'qr-code' && x.via !== 'bad-id-card',
    );
    expect(down.length).toBeGreaterThan(0);
    for (const v of down) {
      expect(['snapshot', 'none']).toContain(v.decision.standingSource);
      if (v.decision.standingSource === 'none')
        expect(v.decision.reasons).toEqual([{ code: 'CREDIT_UNAVAILABLE' }]);
    }
    expect(down.some((v) => v.decision.standingSource === 'snapshot')).toBe(true);
    for (const v of summary.visits.filter((x) => x.via === 'id-card' || x.via === 'bad-id-card')) {
      expect(v.cardReadMs).toBeGreaterThan(100); // 1295 bytes at 115200 baud take 112 ms on the wire
    }
    const qr = summary.visits.filter((x) => x.via === 'qr-code');
    expect(qr.length).toBeGreaterThan(0);
    for (const v of qr) {
      expect(v.qrDecodeMs).toBeGreaterThan(0);
      // The code names its holder by pseudonym only (for caps), never by number.
      expect(v.decision.subject).toMatchObject({
        masked: '码******',
        pseudonym: expect.stringMatching(/^code:/),
      });
      expect(v.decision.standingSource).toBe('credit-code'); // verified offline, outage or not
    }
    const everyone = simulatedDayPeople({ seed: 'demo-test', people: 20 });
    const text = JSON.stringify(summary);
    for (const person of everyone) {
      expect(text).not.toContain(person.idNumber.slice(0, 17));
      expect(text).not.toContain(person.name);
    }
    const counted = Object.values(summary.byScene).reduce(
      (n, c) => n + c.granted + c.denied + c.unavailable,
      0,
    );
    expect(counted).toBe(12);

    // Every decision was committed and, once the platform was back, uploaded under its own key.
    const { journal } = summary;
    expect(journal.kind).toBe(sqlite ? 'sqlite' : 'memory');
    expect(journal.path).toBeUndefined();
    expect(journal.counts.decisions).toBe(12);
    expect(journal.backlog).toBe(0);
    expect(journal.uploaded.decisions).toBe(12);
    expect([...finished!.uploadedKeys.keys()].sort()).toEqual(
      summary.visits.map((v) => v.decision.id).sort(),
    );
    // Nothing committed during the outage could be delivered while it lasted.
    const outage = summary.visits.filter((v) => v.platformDown);
    for (const [i, v] of outage.entries()) expect(v.uploadBacklog).toBeGreaterThanOrEqual(i + 1);
    expect(journal.peakBacklog).toBeGreaterThanOrEqual(outage.length);
    // Only real use counts against the caps: gate passages and checkout sales, one usage row per rule.
    const used = summary.visits.filter(
      (v) =>
        v.decision.outcome === 'granted' &&
        v.decision.subject !== undefined &&
        (v.decision.scene === 'supermarket-checkout' || v.decision.scene === 'scenic-gate'),
    );
    expect(journal.confirmed).toBe(used.length);
    expect(journal.counts.usage).toBe(
      used.reduce((n, v) => n + new Set(v.decision.benefits.map((b) => b.ruleId)).size, 0),
    );
    // A temporary data directory is removed at the end.
    expect(existsSync(finished!.dataDir)).toBe(false);
  }, 30_000);

  it('serves companies at the service window, the bank counter and the rental desk', async () => {
    let disclosures: DisclosureRecord[] = [];
    const summary = await runSimulatedDay({
      seed: 'demo-companies',
      people: 20,
      organisations: 8,
      visits: 30,
      marketSubjects: true,
      onFinish: ({ platform }) => {
        disclosures = platform.uploads.disclosures.flat() as DisclosureRecord[];
      },
    });
    const companies = summary.visits.filter((v) => v.decision.subjectType === 'organisation');
    expect(new Set(companies.map((v) => v.decision.scene))).toEqual(
      new Set(['service-window', 'bank-counter', 'rental-desk']),
    );
    expect(new Set(companies.map((v) => v.via))).toEqual(
      new Set(['typed-code', 'licence-qr', 'opaque-licence-qr']),
    );
    for (const v of companies) {
      expect(v.decision.subject?.masked).toMatch(/^[0-9A-Y]\*{16}[0-9A-Y]$/);
      if (v.via === 'opaque-licence-qr') expect(v.refused?.reasons).toEqual([{ code: 'CREDENTIAL_INVALID' }]);
    }
    expect(companies.some((v) => v.decision.outcome === 'granted')).toBe(true);
    // People visit their own counters only.
    for (const v of summary.visits.filter((x) => x.decision.subjectType === 'person')) {
      expect(['service-window', 'bank-counter', 'rental-desk']).not.toContain(v.decision.scene);
    }
    // 信易批 grants disclosed with the decision, 信易贷 grants once the credit was granted: all uploaded.
    const granted = (scene: string) =>
      companies.filter((v) => v.decision.scene === scene && v.decision.outcome === 'granted');
    expect(disclosures.filter((d) => d.scheme === '信易批')).toHaveLength(
      granted('service-window').reduce((n, v) => n + v.decision.disclosures.length, 0),
    );
    expect(disclosures.filter((d) => d.scheme === '信易贷')).toHaveLength(2 * granted('bank-counter').length);
    for (const d of disclosures) {
      expect(d.subjectType).toBe('organisation');
      expect(d.legalBasis).toMatch(/^《青州市“信易\+”实施方案》（青办发〔2018〕52号）/);
    }
    const text = JSON.stringify({ summary, disclosures });
    for (const o of simulatedDayOrganisations({ seed: 'demo-companies', organisations: 8 })) {
      expect(text).not.toContain(o.creditCode.slice(0, 17));
    }
  }, 60_000);

  it('keeps the journal and the snapshot in a given data directory, and a second day continues them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xinyi-day-test-'));
    dirs.push(dataDir);
    const first = await runSimulatedDay({ seed: 'keep', people: 10, visits: 3, dataDir });
    expect(first.journal.counts.decisions).toBe(3);
    if (sqlite) {
      expect(first.journal.path).toBe(join(dataDir, 'journal.sqlite'));
      expect(existsSync(join(dataDir, 'journal.sqlite'))).toBe(true);
      expect(existsSync(join(dataDir, 'snapshot.sqlite'))).toBe(true);
    }
    // The whole second day runs during an outage: only the snapshot kept from the first day (and
    // refreshed over it) can answer for a card.
    const second = await runSimulatedDay({
      seed: 'keep',
      people: 10,
      visits: 3,
      dataDir,
      date: '2026-11-27',
      platformOutage: { from: 0, to: 2 },
    });
    if (sqlite) {
      expect(second.journal.counts.decisions).toBe(6);
      expect(second.visits.some((v) => v.via !== 'qr-code' && v.decision.standingSource === 'snapshot')).toBe(
        true,
      );
    }
    expect(second.journal.backlog).toBe(0);
    expect(second.visits.every((v) => v.uploadBacklog >= 1)).toBe(true);
  }, 30_000);

  it('is deterministic for a seed, apart from timings', async () => {
    const strip = (s: Awaited<ReturnType<typeof runSimulatedDay>>) => [
      s.visits.map((v) => [
        v.terminalId,
        v.via,
        v.decision.outcome,
        v.decision.subject?.pseudonym,
        v.decision.reasons,
      ]),
      s.journal.counts,
      s.journal.confirmed,
      s.journal.uploaded,
      s.journal.backlog,
    ];
    const a = await runSimulatedDay({ seed: 7, people: 10, visits: 5 });
    const b = await runSimulatedDay({ seed: 7, people: 10, visits: 5 });
    expect(strip(a)).toEqual(strip(b));
  }, 30_000);
});
