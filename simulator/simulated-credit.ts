import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../sdk/clock.js';
import {
  buildSnapshot,
  createCreditCodeResolver,
  createHttpPlatformResolver,
  createSnapshotResolver,
  loadStatusList,
  loadTrustList,
  openSnapshotStore,
  type SnapshotStore,
} from '../sdk/credit/index.js';
import type { Pseudonymizer } from '../sdk/identity/index.js';
import type { CreditResolver } from '../sdk/terminal/index.js';
import { createCreditIssuer, type VirtualPhone } from './credit-issuer.js';
import { startMockPlatform } from './mock-platform.js';
import type { SyntheticPerson } from './population.js';

export interface SimulatedCreditOptions {
  people: readonly SyntheticPerson[];
  seed: string;
  pseudonymizer: Pseudonymizer;
  clock: Clock;
  /** When the platform's nightly snapshot was generated. */
  snapshotAt: number;
  /** People the platform has never scored (neither in lookups nor in the snapshot). */
  unknown?: ReadonlySet<string>;
  /** The platform source's own budget, so the snapshot still gets a turn. @default 150 */
  platformTimeoutMs?: number;
}

export interface SimulatedCredit {
  /** Asked in this order: a verified credit code → the platform over HTTP → the offline snapshot. */
  chain: CreditResolver[];
  /** Each citizen's phone, which shows a fresh signed credit code. */
  phones: ReadonlyMap<string, VirtualPhone>;
  /** True when the offline snapshot could be opened (better-sqlite3 is an optional dependency). */
  hasSnapshot: boolean;
  /** Makes the platform answer 503 (true) or normally again (false). */
  setPlatformDown(down: boolean): void;
  close(): Promise<void>;
}

/**
 * The credit side of the demo, made of the real parts: a credit-code issuer with a signed trust and
 * status list, the mock platform on a loopback HTTP port reached by the HTTP client with signed
 * requests, and a signed snapshot applied to SQLite in a temporary directory.
 */
export async function createSimulatedCredit(options: SimulatedCreditOptions): Promise<SimulatedCredit> {
  const { people, seed, pseudonymizer, clock } = options;
  const known = people.filter((p) => !options.unknown?.has(p.id));
  const now = clock.now();

  const issuer = createCreditIssuer({
    seed,
    now: now - 3_600_000,
    trustListExpiresAt: now + 30 * 86_400_000,
  });
  const trustList = loadTrustList(issuer.trustList, { rootPublicKey: issuer.rootPublicKey, now });
  const statusList = loadStatusList(issuer.signedStatusList(now - 60_000), { trustList });
  const phones = new Map<string, VirtualPhone>();
  for (const [index, person] of known.entries()) {
    const red = person.lists.some((l) => l.kind === 'red');
    const blocked = person.lists.some((l) => l.kind === 'black' || l.kind === 'key-attention');
    // The platform issues no code to a listed person: a code carries no black-list bit (§4.2).
    if (blocked) continue;
    phones.set(
      person.id,
      issuer.issue(pseudonymizer.pseudonymize(person.idNumber), person.tier, {
        red,
        statusIndex: index,
        now: now - 3_600_000,
      }),
    );
  }

  const secret = `demo-platform-secret:${seed}`;
  const platform = await startMockPlatform({
    people: known,
    pseudonymizer,
    keyId: 'demo-terminals',
    secret,
    clock,
  });
  // Member cards are known by their own pseudonym (kind 'member').
  for (const p of known) {
    platform.setStanding(pseudonymizer.pseudonymize(p.memberCode, 'member'), {
      tier: p.tier,
      lists: p.lists,
    });
  }
  const http = createHttpPlatformResolver({
    baseUrl: platform.url,
    keyId: 'demo-terminals',
    secret,
    clock,
    timeoutMs: options.platformTimeoutMs ?? 150,
  });

  let store: SnapshotStore | undefined;
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-demo-'));
    store = await openSnapshotStore({ path: join(dir, 'snapshot.sqlite') });
    const keys = generateKeyPairSync('ed25519');
    const bytes = buildSnapshot(
      known.flatMap((p) => [
        { pseudonym: pseudonymizer.pseudonymize(p.idNumber), tier: p.tier, lists: p.lists },
        { pseudonym: pseudonymizer.pseudonymize(p.memberCode, 'member'), tier: p.tier, lists: p.lists },
      ]),
      { privateKey: keys.privateKey, sequence: 1, generatedAt: options.snapshotAt },
    );
    store.apply(bytes, { publicKeys: keys.publicKey });
  } catch {
    // Without better-sqlite3 the demo runs without its offline snapshot.
    store?.close();
    store = undefined;
  }

  const chain: CreditResolver[] = [
    createCreditCodeResolver({ trustList, statusList, clock }),
    http,
    ...(store ? [createSnapshotResolver(store)] : []),
  ];
  return {
    chain,
    phones,
    hasSnapshot: store !== undefined,
    setPlatformDown: (down) => {
      platform.faults.clear();
      if (down) platform.faults.inject({ kind: 'status', status: 503 }, { times: 1_000_000 });
    },
    close: async () => {
      store?.close();
      await platform.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
