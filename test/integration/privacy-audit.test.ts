// The privacy audit of issue 7: the whole demo runs with known synthetic citizens, keeping every file
// a deployment would keep (journal and snapshot databases with their WAL files, a JSON log, each
// terminal's diagnostics, what the platform received), and then every byte of every file is searched
// for every citizen's ID number, name and other card data. None may appear.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import { maskIdNumber, maskName } from '../../sdk/identity/index.js';
import { createJsonLogger } from '../../sdk/logger.js';
import {
  type PrivacyScan,
  personalDataForms,
  scanFolderForPersonalData,
} from '../../simulator/privacy-scan.js';
import { runSimulatedDay, simulatedDayPeople } from '../../simulator/simulated-day.js';

const sqlite = await loadSqliteDriver().then(
  () => true,
  () => false,
);
const dataDir = mkdtempSync(join(tmpdir(), 'xinyi-privacy-audit-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('privacy audit of everything the demo writes', () => {
  it('finds no ID number, name, member code or address of any citizen in any file', async () => {
    const options = { seed: 'privacy-audit', people: 48 } as const;
    const people = simulatedDayPeople(options);
    const forms = people.flatMap(personalDataForms);
    const logFile = join(dataDir, 'xinyi.log');
    const logger = createJsonLogger({ level: 'debug', write: (line) => appendFileSync(logFile, line) });
    let whileOpen: PrivacyScan | undefined;
    let disclosedNames: string[] = [];

    const summary = await runSimulatedDay({
      ...options,
      visits: 40,
      // The 信易批 window's grants are disclosed with a masked name: the name path is exercised too.
      serviceWindow: true,
      dataDir,
      logger,
      onFinish: ({ terminals, uploader, platform }) => {
        for (const terminal of terminals) {
          writeFileSync(
            join(dataDir, `diagnostics-${terminal.terminalId}.json`),
            JSON.stringify(terminal.diagnostics(), null, 2),
          );
        }
        writeFileSync(
          join(dataDir, 'uploader.json'),
          JSON.stringify({ state: uploader.state, stats: uploader.stats }),
        );
        writeFileSync(
          join(dataDir, 'platform-uploads.json'),
          JSON.stringify({
            decisions: platform.uploads.decisions,
            disclosures: platform.uploads.disclosures,
            receivedByKey: {
              decisions: Object.fromEntries(platform.uploads.receivedByKey.decisions),
              disclosures: Object.fromEntries(platform.uploads.receivedByKey.disclosures),
            },
          }),
        );
        // Every request the terminals sent, lookups included, as the platform parsed it.
        writeFileSync(join(dataDir, 'platform-requests.json'), JSON.stringify(platform.requests));
        disclosedNames = platform.uploads.disclosures
          .flat()
          .map((d) => (d as { maskedName?: unknown }).maskedName)
          .filter((n): n is string => typeof n === 'string');
        // The databases are still open: their -wal and -shm files exist now and are gone after close.
        whileOpen = scanFolderForPersonalData(dataDir, forms);
      },
    });
    writeFileSync(join(dataDir, 'summary.json'), JSON.stringify(summary));
    const afterClose = scanFolderForPersonalData(dataDir, forms);

    console.log(
      `privacy audit: ${people.length} people, ${forms.length} forms (of ID numbers, names, member codes, addresses); ` +
        `${whileOpen!.files.length} files / ${whileOpen!.bytes} bytes with the databases open, ` +
        `${afterClose.files.length} files / ${afterClose.bytes} bytes after close; ` +
        `${whileOpen!.found.length + afterClose.found.length} found`,
    );
    expect(whileOpen!.found).toEqual([]);
    expect(afterClose.found).toEqual([]);

    // The search is not vacuous: it read the files a deployment keeps, and the people the demo
    // handled are in them, as pseudonyms and masked forms.
    expect(whileOpen!.files).toEqual(
      expect.arrayContaining([
        'xinyi.log',
        'platform-uploads.json',
        'platform-requests.json',
        'uploader.json',
      ]),
    );
    expect(whileOpen!.files.filter((f) => f.startsWith('diagnostics-'))).toHaveLength(5);
    expect(afterClose.files).toContain('summary.json');
    const logText = readFileSync(logFile, 'utf8');
    // The logger's last-line scrub never had to act: nothing shaped like an ID number was logged.
    expect(logText).not.toContain('[id-number]');
    const log = logText.trim().split('\n');
    expect(log.filter((line) => (JSON.parse(line) as { msg?: string }).msg === 'decision')).toHaveLength(40);
    expect(summary.journal.uploaded.decisions).toBe(40);
    const subjects = summary.visits.flatMap((v) => (v.decision.subject ? [v.decision.subject] : []));
    expect(subjects.length).toBeGreaterThan(20);
    // The masked ID numbers are those of the population's people.
    const masks = new Set(people.flatMap((p) => [maskIdNumber(p.idNumber), maskIdNumber(p.memberCode)]));
    // A credit code's holder has no number to mask: the code names them by its pseudonym only.
    for (const subject of subjects) {
      if (subject.pseudonym.startsWith('code:')) expect(subject.masked).toBe('码******');
      else expect(masks.has(subject.masked)).toBe(true);
    }
    // Names did reach the SDK (read from the cards) and left it masked only, in disclosure records.
    expect(summary.journal.counts.disclosures).toBeGreaterThan(0);
    expect(disclosedNames).toHaveLength(summary.journal.counts.disclosures);
    const maskedNames = new Set(people.map((p) => maskName(p.name)));
    for (const masked of disclosedNames) expect(maskedNames.has(masked)).toBe(true);
    // And the search finds what is there: one name planted in a copy of the log is reported.
    const planted = join(dataDir, 'planted', 'xinyi.log');
    mkdirSync(dirname(planted));
    writeFileSync(
      planted,
      Buffer.concat([Buffer.from(logText), Buffer.from(people[7]!.name), Buffer.from('\n')]),
    );
    expect(scanFolderForPersonalData(dataDir, forms).found).toEqual([
      { where: join('planted', 'xinyi.log'), person: people[7]!.id, kind: 'name' },
    ]);
    rmSync(dirname(planted), { recursive: true });
    if (!sqlite) return; // the journal was kept in memory: no database file to look into

    // With the databases open, their write-ahead logs were read too.
    expect(whileOpen!.files).toEqual(
      expect.arrayContaining([
        'journal.sqlite',
        'journal.sqlite-wal',
        'journal.sqlite-shm',
        'snapshot.sqlite',
      ]),
    );
    const db = readFileSync(join(dataDir, 'journal.sqlite'));
    for (const subject of subjects) {
      expect(db.includes(Buffer.from(subject.pseudonym, 'utf8'))).toBe(true);
      expect(db.includes(Buffer.from(subject.masked, 'utf8'))).toBe(true);
    }
    for (const masked of disclosedNames) expect(db.includes(Buffer.from(masked, 'utf8'))).toBe(true);
  }, 90_000);
});
