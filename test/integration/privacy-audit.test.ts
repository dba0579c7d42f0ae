// The privacy audit of issue 7: the whole demo runs with known synthetic citizens, keeping every file
// a deployment would keep (journal and snapshot databases with their WAL files, a JSON log, each
// terminal's diagnostics, what the platform received), and then every byte of every file is searched
// for every citizen's ID number, name and other card data. None may appear.
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import { maskIdNumber, maskName } from '../../sdk/identity/index.js';
import { createJsonLogger } from '../../sdk/logger.js';
import { cardFieldsForPerson } from '../../simulator/devices/virtual-id-card-reader.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import { runSimulatedDay, simulatedDayPeople } from '../../simulator/simulated-day.js';

interface Needle {
  person: string;
  kind: string;
  bytes: Buffer;
}

/** JSON's `\uXXXX` escape of a string, as a serialiser that escapes non-ASCII would write it. */
function jsonEscaped(text: string, upper: boolean): string {
  return Array.from(text, (ch) => {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) return ch;
    const hex = code.toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  }).join('');
}

/** Every form in which a citizen's personal data could have been written. */
function needlesFor(person: SyntheticPerson): Needle[] {
  const id = person.idNumber;
  const card = cardFieldsForPerson(person);
  const texts: [string, string][] = [
    ['id-number', id],
    // The first 17 digits: the number with any check character, the corrupted one of the bad card included.
    ['id-number-body', id.slice(0, 17)],
    // The 15-digit form of the same number (two-digit year, no check digit).
    ['id-number-15', id.slice(0, 6) + id.slice(8, 17)],
    ['name', person.name],
    ['name-json-escaped', jsonEscaped(person.name, false)],
    ['name-json-escaped-upper', jsonEscaped(person.name, true)],
    ['member-code', person.memberCode],
    ['address', card.address],
  ];
  if (id.endsWith('X')) texts.push(['id-number-lower-x', `${id.slice(0, 17)}x`]);
  if ('passNumber' in card && card.passNumber.length >= 8) texts.push(['pass-number', card.passNumber]);
  return texts.map(([kind, text]) => ({ person: person.id, kind, bytes: Buffer.from(text, 'utf8') }));
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

interface AuditResult {
  files: string[];
  bytes: number;
  found: { file: string; person: string; kind: string }[];
}

function audit(dir: string, needles: readonly Needle[]): AuditResult {
  const result: AuditResult = { files: [], bytes: 0, found: [] };
  for (const file of filesUnder(dir)) {
    const content = readFileSync(file);
    result.files.push(relative(dir, file));
    result.bytes += content.length;
    for (const needle of needles) {
      if (content.includes(needle.bytes)) {
        result.found.push({ file: relative(dir, file), person: needle.person, kind: needle.kind });
      }
    }
  }
  return result;
}

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
    const needles = people.flatMap(needlesFor);
    const logFile = join(dataDir, 'xinyi.log');
    const logger = createJsonLogger({ level: 'debug', write: (line) => appendFileSync(logFile, line) });
    let whileOpen: AuditResult | undefined;
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
        whileOpen = audit(dataDir, needles);
      },
    });
    writeFileSync(join(dataDir, 'summary.json'), JSON.stringify(summary));
    const afterClose = audit(dataDir, needles);

    console.log(
      `privacy audit: ${people.length} people, ${needles.length} needles (ID number forms, names, member codes, addresses); ` +
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
    expect(audit(dataDir, needles).found).toEqual([
      { file: join('planted', 'xinyi.log'), person: people[7]!.id, kind: 'name' },
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
