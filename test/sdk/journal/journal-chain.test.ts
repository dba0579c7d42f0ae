import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPlatformResolver } from '../../../sdk/credit/http-platform.js';
import {
  CHAIN_GENESIS,
  type ChainKey,
  canonicalJson,
  chainLinkHash,
  signChainHead,
} from '../../../sdk/journal/journal-chain.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { createSqliteJournal } from '../../../sdk/journal/sqlite-journal.js';
import { SQLITE_JOURNAL_SCHEMA_VERSION } from '../../../sdk/journal/sqlite-journal-schema.js';
import { createUploader } from '../../../sdk/journal/uploader.js';
import { verifySqliteJournal } from '../../../sdk/journal/verify-journal.js';
import { type MockPlatform, startMockPlatform } from '../../../simulator/mock-platform.js';
import {
  syntheticEntry,
  UPLOAD_KEY_ID,
  UPLOAD_PSEUDONYM_KEY,
  UPLOAD_SECRET,
  UPLOAD_TERMINAL_ID,
} from './fixtures/upload-fixtures.js';
import { DAY_MS, downgradeToSchema2, entryFor, manualClock, people } from './fixtures.js';

const KEY: ChainKey = { keyId: UPLOAD_KEY_ID, secret: UPLOAD_SECRET };
const secretFor = (id: string) => (id === UPLOAD_KEY_ID ? UPLOAD_SECRET : undefined);

let dir: string;
let files = 0;
const freshPath = () => join(dir, `chain-${++files}.sqlite`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xinyi-chain-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A granted scenic entry (a free-entry rule with a daily cap) for person `i`. */
const scenicEntry = (id: string, i = 0, at?: number) =>
  entryFor({ id, person: people[i], scene: 'scenic-gate', ...(at === undefined ? {} : { at }) });

/** An entry of another terminal (its disclosure records too: each terminal has a chain of its own). */
const entryAs = (terminalId: string, spec: Parameters<typeof entryFor>[0]) => {
  const entry = entryFor(spec);
  return { ...entry, terminalId, disclosures: entry.disclosures?.map((d) => ({ ...d, terminalId })) };
};

/** Rewrites a stored decision's body as someone with the file would (the outcome they want). */
function editDecision(path: string, id: string, edit: (decision: Record<string, unknown>) => void): void {
  const raw = new Database(path);
  const body = JSON.parse(raw.prepare('SELECT body FROM decisions WHERE id = ?').pluck().get(id) as string);
  edit(body);
  raw
    .prepare('UPDATE decisions SET body = ?, outcome = ? WHERE id = ?')
    .run(JSON.stringify(body), String(body.outcome), id);
  raw.close();
}

describe('canonical encoding', () => {
  it('is RFC 8785 for the JSON the SDK writes: sorted keys, no whitespace, JSON.stringify scalars', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 0.5, y: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":0.5}}',
    );
    // What JSON drops is dropped; toJSON is honoured; non-finite numbers are null, as in JSON.
    expect(canonicalJson({ u: undefined, d: new Date(0), n: Number.NaN, arr: [undefined] })).toBe(
      '{"arr":[null],"d":"1970-01-01T00:00:00.000Z","n":null}',
    );
    // UTF-16 code unit order (RFC 8785 §3.2.3), and strings escaped as JSON.stringify does.
    expect(canonicalJson({ '\u00e9': 1, z: 2, '\ud83d\ude00': 3, 名: '"\n' })).toBe(
      '{"z":2,"\u00e9":1,"名":"\\"\\n","\ud83d\ude00":3}',
    );
  });

  it("calls toJSON once, as JSON.stringify does, and reads back as JSON.stringify's text does", () => {
    const inner = { toJSON: () => ({ y: 2, x: 1 }) };
    const outer = { toJSON: () => ({ b: inner, a: { toJSON: () => 'once' } }) };
    expect(canonicalJson(outer)).toBe('{"a":"once","b":{"x":1,"y":2}}');
    const value = {
      z: [1.5, -0, 1e21, 'a\u2028'],
      y: { toJSON: () => ({ toJSON: 'kept' }) },
      x: new Date(5),
    };
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
  });

  it("a chained journal stores the canonical JSON its link hashes; the unchained baseline JSON.stringify's", async () => {
    const entry = syntheticEntry(3, { disclosureEvery: 1 });
    const chained = await createSqliteJournal({ path: freshPath() });
    const plain = await createSqliteJournal({ path: freshPath(), chain: false });
    chained.commitDecision(entry);
    plain.commitDecision(entry);
    chained.close();
    plain.close();
    const bodies = (path: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return db
          .prepare(
            'SELECT body, chain_hash FROM decisions UNION ALL SELECT body, chain_hash FROM disclosures',
          )
          .all() as { body: string; chain_hash: string | null }[];
      } finally {
        db.close();
      }
    };
    const [decision, disclosure] = bodies(chained.path);
    expect(decision!.body).toBe(canonicalJson(entry.decision));
    expect(disclosure!.body).toBe(canonicalJson(entry.disclosures![0]));
    expect(decision!.chain_hash).toBe(
      chainLinkHash(UPLOAD_TERMINAL_ID, 'decisions', 1, CHAIN_GENESIS, canonicalJson(entry.decision)),
    );
    const [plainDecision] = bodies(plain.path);
    expect(plainDecision!.body).toBe(JSON.stringify(entry.decision));
    expect(plainDecision!.chain_hash).toBeNull();
  });

  it('links: the documented preimage, and a head signature over it', () => {
    const hash = chainLinkHash('t-1', 'decisions', 1, CHAIN_GENESIS, '{"a":1}');
    // sha256("xinyi-chain/1\nt-1\ndecisions\n1\n000…0\n{"a":1}"), computed independently with sha256sum.
    expect(hash).toBe('93b4ad4224f8b3158690181c07962a499f3e0534843421fa018ed0553b253adb');
    expect(signChainHead(KEY, 't-1', 'decisions', 1, hash)).toMatch(
      new RegExp(`^${UPLOAD_KEY_ID}:[A-Za-z0-9+/]{43}=$`),
    );
  });
});

describe('SQLite journal chain', () => {
  it('deleting a usage row changes nothing: the counters are rebuilt from the chained uses at start', async () => {
    const path = freshPath();
    const at = Date.parse('2026-11-26T10:00:00+08:00');
    let journal = await createSqliteJournal({ path, chainKey: KEY });
    const entry = scenicEntry('d-use', 0, at);
    journal.commitDecision(entry);
    const pseudonym = entry.decision.subject!.pseudonym;
    const ruleIds = entry.decision.benefits.map((b) => b.ruleId);
    expect(ruleIds.length).toBeGreaterThan(0);
    journal.recordUse({ decisionId: 'd-use', pseudonym, scene: 'scenic-gate', ruleIds, at });
    const before = journal.usageCounts(pseudonym, at);
    expect(before[ruleIds[0]!]?.day).toBe(1);
    journal.close();

    const raw = new Database(path);
    expect(raw.prepare('DELETE FROM usage WHERE pseudonym = ?').run(pseudonym).changes).toBe(ruleIds.length);
    raw.close();

    journal = await createSqliteJournal({ path, chainKey: KEY });
    expect(journal.usageCounts(pseudonym, at)).toEqual(before);
    journal.close();
    expect((await verifySqliteJournal({ path, secretFor })).ok).toBe(true);
  });

  it('removing a chained use is a gap that verify reports', async () => {
    const path = freshPath();
    const at = Date.parse('2026-11-26T10:00:00+08:00');
    const journal = await createSqliteJournal({ path, chainKey: KEY });
    for (let i = 0; i < 3; i++) {
      const entry = scenicEntry(`d-${i}`, i, at + i);
      journal.commitDecision(entry);
      const ruleIds = entry.decision.benefits.map((b) => b.ruleId);
      journal.recordUse({
        decisionId: `d-${i}`,
        pseudonym: entry.decision.subject!.pseudonym,
        scene: 'scenic-gate',
        ruleIds,
        at: at + i,
      });
    }
    journal.close();
    const raw = new Database(path);
    raw.prepare("DELETE FROM use_records WHERE decision_id = 'd-1'").run();
    raw.close();
    const report = await verifySqliteJournal({ path, secretFor });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: 'uses', problem: 'gap' }));
  });

  it('verify: a clean journal passes; an edited, removed or forged record is named', async () => {
    const path = freshPath();
    const journal = await createSqliteJournal({ path, chainKey: KEY });
    for (let i = 0; i < 6; i++) journal.commitDecision(entryFor({ id: `v-${i}`, person: people[i] }));
    journal.close();
    const clean = await verifySqliteJournal({ path, secretFor });
    expect(clean).toMatchObject({ ok: true, signaturesChecked: true, problems: [] });
    expect(clean.checked.decisions).toBe(6);
    expect(clean.checked.disclosures).toBeGreaterThan(0);

    editDecision(path, 'v-2', (d) => {
      d.outcome = 'denied';
    });
    expect((await verifySqliteJournal({ path, secretFor })).problems).toEqual([
      expect.objectContaining({ kind: 'decisions', seq: 3, problem: 'rewrite', id: 'v-2' }),
    ]);

    const raw = new Database(path);
    raw.prepare("DELETE FROM decisions WHERE id = 'v-4'").run();
    raw.close();
    const problems = (await verifySqliteJournal({ path, secretFor })).problems;
    expect(problems).toContainEqual(expect.objectContaining({ seq: 6, problem: 'gap' }));

    // Someone who re-hashes the tail consistently, without the terminal's key, cannot sign it.
    const forged = freshPath();
    const j2 = await createSqliteJournal({ path: forged, chainKey: KEY });
    for (let i = 0; i < 3; i++) j2.commitDecision(entryFor({ id: `f-${i}`, person: people[i] }));
    j2.close();
    editDecision(forged, 'f-2', (d) => {
      d.outcome = 'denied';
    });
    const db = new Database(forged);
    const row = db.prepare("SELECT chain_seq, chain_prev, body FROM decisions WHERE id = 'f-2'").get() as {
      chain_seq: number;
      chain_prev: string;
      body: string;
    };
    const rehashed = chainLinkHash(
      'bank-counter-test-01',
      'decisions',
      row.chain_seq,
      row.chain_prev,
      canonicalJson(JSON.parse(row.body)),
    );
    db.prepare("UPDATE decisions SET chain_hash = ? WHERE id = 'f-2'").run(rehashed);
    db.prepare("UPDATE journal_chain SET hash = ? WHERE kind = 'decisions'").run(rehashed);
    db.close();
    expect((await verifySqliteJournal({ path: forged })).ok).toBe(true); // without the key: consistent
    expect((await verifySqliteJournal({ path: forged, secretFor })).problems).toEqual([
      expect.objectContaining({ seq: 3, problem: 'bad-signature' }),
    ]);
  });

  it('verify: removing the newest records is a head mismatch; what the purge deleted is not a gap', async () => {
    const path = freshPath();
    const clock = manualClock();
    const journal = await createSqliteJournal({ path, chainKey: KEY, clock });
    for (let i = 0; i < 5; i++) {
      journal.commitDecision(entryFor({ id: `p-${i}`, person: people[i], at: clock.now() }));
      clock.advance(DAY_MS);
    }
    journal.markUploaded('decisions', ['p-0', 'p-1', 'p-3'], clock.now());
    journal.markUploaded(
      'disclosures',
      journal.pendingUploads('disclosures', 100).map((d) => d.id),
      clock.now(),
    );
    // Deletes p-0, p-1 and p-3 (uploaded, older than 2 days); p-2 (pending) and p-4 stay.
    expect(journal.purge(clock.now(), { decisions: 1, disclosures: 1 }).decisions).toBe(3);
    journal.close();
    expect(await verifySqliteJournal({ path, secretFor })).toMatchObject({ ok: true });

    const raw = new Database(path);
    raw.prepare("DELETE FROM decisions WHERE id = 'p-4'").run();
    raw.close();
    expect((await verifySqliteJournal({ path, secretFor })).problems).toEqual([
      expect.objectContaining({ kind: 'decisions', seq: 5, problem: 'head-mismatch' }),
    ]);
  });

  it('migrates a schema-2 journal: existing records are chained in commit order, uses moved to use_records', async () => {
    const path = freshPath();
    const at = Date.parse('2026-11-26T10:00:00+08:00');
    let journal = await createSqliteJournal({ path, chainKey: KEY });
    const entry = scenicEntry('m-0', 0, at);
    journal.commitDecision(entry);
    journal.commitDecision(entryFor({ id: 'm-1', person: people[1] }));
    const pseudonym = entry.decision.subject!.pseudonym;
    const ruleIds = entry.decision.benefits.map((b) => b.ruleId);
    journal.recordUse({ decisionId: 'm-0', pseudonym, scene: 'scenic-gate', ruleIds, at });
    journal.close();
    downgradeToSchema2(path);

    journal = await createSqliteJournal({ path, chainKey: KEY });
    expect(journal.usageCounts(pseudonym, at)[ruleIds[0]!]?.day).toBe(1);
    expect(journal.pendingUploads('decisions', 10).map((i) => i.chain?.seq)).toEqual([1, 2]);
    journal.commitDecision(entryFor({ id: 'm-2', person: people[2] }));
    expect(journal.pendingUploads('decisions', 10).map((i) => i.chain?.seq)).toEqual([1, 2, 3]);
    journal.close();
    const report = await verifySqliteJournal({ path, secretFor });
    expect(report).toMatchObject({ ok: true, checked: { decisions: 3, uses: ruleIds.length } });
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT MAX(version) FROM schema_version').pluck().get()).toBe(
      SQLITE_JOURNAL_SCHEMA_VERSION,
    );
    check.close();
  });

  it('the memory journal chains its uploads the same way', () => {
    const memory = createMemoryJournal({ chainKey: KEY });
    memory.commitDecision(entryFor({ id: 'mem-0' }));
    memory.commitDecision(entryFor({ id: 'mem-1', person: people[1] }));
    const [first, second] = memory.pendingUploads('decisions', 10);
    expect(first?.chain).toMatchObject({ seq: 1, prev: CHAIN_GENESIS });
    expect(second?.chain?.prev).toBe(first?.chain?.hash);
    const decision = (second!.payload as { decision: unknown }).decision;
    expect(second?.chain?.hash).toBe(
      chainLinkHash('bank-counter-test-01', 'decisions', 2, first!.chain!.hash, canonicalJson(decision)),
    );
  });
});

describe('uploads carry the chain; the platform follows it', () => {
  let mock: MockPlatform;
  beforeAll(async () => {
    mock = await startMockPlatform({
      pseudonymKey: UPLOAD_PSEUDONYM_KEY,
      keyId: UPLOAD_KEY_ID,
      secret: UPLOAD_SECRET,
      populationSize: 4,
    });
  });
  afterAll(() => mock.close());
  afterEach(() => {
    mock.chainProblems.length = 0;
  });

  const uploaderFor = (journal: Parameters<typeof createUploader>[0]['journal'], terminalId: string) =>
    createUploader({
      journal,
      batchSize: 2,
      platform: createHttpPlatformResolver({
        baseUrl: mock.url,
        keyId: UPLOAD_KEY_ID,
        secret: UPLOAD_SECRET,
        terminalId,
        transferTimeoutMs: 5_000,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
      }),
    });

  it('a pending decision edited from granted to denied is flagged as a rewrite; a removed one as a gap', async () => {
    const path = freshPath();
    let journal = await createSqliteJournal({ path, chainKey: KEY });
    const entries = [0, 1, 2, 3, 4, 5].map((i) => entryAs('chain-t-1', { id: `u-${i}`, person: people[i] }));
    for (const e of entries.slice(0, 2)) journal.commitDecision(e);
    expect((await uploaderFor(journal, 'chain-t-1').flush()).error).toBeUndefined();
    for (const e of entries.slice(2)) journal.commitDecision(e);
    journal.close();
    expect(entries[2]!.decision.outcome).toBe('granted');

    editDecision(path, 'u-2', (d) => {
      d.outcome = 'denied';
      d.benefits = [];
    });
    const raw = new Database(path);
    raw.prepare("DELETE FROM decisions WHERE id = 'u-4'").run();
    raw.close();

    journal = await createSqliteJournal({ path, chainKey: KEY });
    expect((await uploaderFor(journal, 'chain-t-1').flush()).error).toBeUndefined();
    journal.close();
    const decisionProblems = mock.chainProblems.filter((p) => p.kind === 'decisions');
    expect(decisionProblems).toEqual([
      expect.objectContaining({ terminalId: 'chain-t-1', seq: 3, problem: 'rewrite', id: 'u-2' }),
      expect.objectContaining({ terminalId: 'chain-t-1', seq: 6, problem: 'gap', id: 'u-5' }),
    ]);
  });

  it('an untouched journal uploads without a flag, heads signed, across batches and restarts', async () => {
    const path = freshPath();
    for (let round = 0; round < 2; round++) {
      const journal = await createSqliteJournal({ path, chainKey: KEY });
      for (let i = 0; i < 5; i++) {
        journal.commitDecision(entryAs('chain-t-2', { id: `ok-${round}-${i}`, person: people[i] }));
      }
      expect((await uploaderFor(journal, 'chain-t-2').flush()).error).toBeUndefined();
      journal.close();
    }
    const sent = mock.requests.filter(
      (r) =>
        r.path === '/v1/decisions' &&
        (r.body as { items: { terminalId: string }[] }).items[0]?.terminalId === 'chain-t-2',
    );
    expect(sent.length).toBeGreaterThanOrEqual(5);
    for (const request of sent) {
      const body = request.body as {
        items: { chain: { seq: number } }[];
        chainHeads: { seq: number; mac: string }[];
      };
      expect(body.chainHeads).toEqual([
        expect.objectContaining({
          seq: body.items.at(-1)!.chain.seq,
          mac: expect.stringMatching(/^uploader-test-key:/),
        }),
      ]);
    }
    expect(mock.chainProblems).toEqual([]);
  });

  it('a head signed with another key is flagged', async () => {
    const journal = createMemoryJournal({
      chainKey: { keyId: UPLOAD_KEY_ID, secret: 'not-the-terminal-key' },
    });
    journal.commitDecision(entryAs('chain-t-3', { id: 'k-0' }));
    expect((await uploaderFor(journal, 'chain-t-3').flush()).error).toBeUndefined();
    expect(mock.chainProblems.filter((p) => p.kind === 'decisions').map((p) => p.problem)).toEqual([
      'bad-signature',
      'bad-signature',
    ]);
  });
});
