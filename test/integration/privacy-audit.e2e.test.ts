// The privacy audit of issue 7: the whole demo runs with known synthetic citizens, keeping every file
// a deployment would keep (journal and snapshot databases with their WAL files, a JSON log, each
// terminal's diagnostics, what the platform received), and then every byte of every file is searched
// for every citizen's ID number, name and other card data. None may appear.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import { maskIdNumber, maskSocialCreditCode } from '../../sdk/identity/index.js';
import { createJsonLogger } from '../../sdk/logger.js';
import {
  organisationDataForms,
  type PrivacyScan,
  personalDataForms,
  scanFolderForPersonalData,
} from '../../simulator/privacy-scan.js';
import {
  runSimulatedDay,
  simulatedDayOrganisations,
  simulatedDayPeople,
} from '../../simulator/simulated-day.js';

const sqlite = await loadSqliteDriver().then(
  () => true,
  () => false,
);
const dataDir = mkdtempSync(join(tmpdir(), 'xinyi-privacy-audit-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('privacy audit of everything the demo writes', () => {
  it('finds no ID number, name, member code or address of any citizen, nor any company’s credit code, in any file', async () => {
    const options = { seed: 'privacy-audit', people: 48, organisations: 12 } as const;
    const people = simulatedDayPeople(options);
    const organisations = simulatedDayOrganisations(options);
    const forms = [...people.flatMap(personalDataForms), ...organisations.flatMap(organisationDataForms)];
    const logFile = join(dataDir, 'xinyi.log');
    const logger = createJsonLogger({ level: 'debug', write: (line) => appendFileSync(logFile, line) });
    let whileOpen: PrivacyScan | undefined;
    let disclosedNames: string[] = [];

    const summary = await runSimulatedDay({
      ...options,
      visits: 40,
      // Companies at the 信易批 window and the 信易贷 counter: their grants are disclosed with a masked code.
      marketSubjects: true,
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
      `privacy audit: ${people.length} people, ${organisations.length} companies, ${forms.length} forms (of ID numbers, names, member codes, addresses, credit codes); ` +
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
    expect(whileOpen!.files.filter((f) => f.startsWith('diagnostics-'))).toHaveLength(7);
    expect(afterClose.files).toContain('summary.json');
    const logText = readFileSync(logFile, 'utf8');
    // The logger's last-line scrub never had to act: nothing shaped like an ID number was logged.
    expect(logText).not.toContain('[id-number]');
    const log = logText.trim().split('\n');
    // A visit with an opaque licence QR code made two decisions: the refused code, then the typed one.
    const decisions = 40 + summary.visits.filter((v) => v.refused !== undefined).length;
    expect(log.filter((line) => (JSON.parse(line) as { msg?: string }).msg === 'decision')).toHaveLength(
      decisions,
    );
    expect(summary.journal.uploaded.decisions).toBe(decisions);
    const subjects = summary.visits.flatMap((v) => (v.decision.subject ? [v.decision.subject] : []));
    expect(subjects.length).toBeGreaterThan(20);
    const companies = summary.visits.filter((v) => v.decision.subjectType === 'organisation');
    expect(companies.length).toBeGreaterThan(3);
    // The masked ID numbers and codes are those of the population's people and companies.
    const masks = new Set([
      ...people.flatMap((p) => [maskIdNumber(p.idNumber), maskIdNumber(p.memberCode)]),
      ...organisations.map((o) => maskSocialCreditCode(o.creditCode)),
    ]);
    // A credit code's holder has no number to mask: the code names them by its pseudonym only.
    for (const subject of subjects) {
      if (subject.pseudonym.startsWith('code:')) expect(subject.masked).toBe('码******');
      else expect(masks.has(subject.masked)).toBe(true);
    }
    // The companies' grants were disclosed (信易批 at the window, 信易贷 once the credit was granted)
    // under their masked codes.
    expect(summary.journal.counts.disclosures).toBeGreaterThan(0);
    expect(disclosedNames).toHaveLength(summary.journal.counts.disclosures);
    const maskedCodes = new Set(organisations.map((o) => maskSocialCreditCode(o.creditCode)));
    for (const masked of disclosedNames) expect(maskedCodes.has(masked)).toBe(true);
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
    // A company's code in lower case, as someone might log what staff typed.
    writeFileSync(planted, Buffer.from(`${logText}${organisations[3]!.creditCode.toLowerCase()}\n`));
    expect(scanFolderForPersonalData(dataDir, forms).found).toEqual([
      { where: join('planted', 'xinyi.log'), person: organisations[3]!.id, kind: 'credit-code-lower' },
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
