import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../sdk/clock.js';
import {
  buildSnapshot,
  createCreditCodeResolver,
  createHttpPlatformResolver,
  createSnapshotResolver,
  type HttpPlatformResolver,
  loadStatusList,
  loadTrustList,
  openSnapshotStore,
  type SnapshotStore,
} from '../sdk/credit/index.js';
import type { Pseudonymizer } from '../sdk/identity/index.js';
import type { Logger } from '../sdk/logger.js';
import type { CreditResolver } from '../sdk/terminal/index.js';
import { createCreditIssuer, type VirtualPhone } from './credit-issuer.js';
import { type MockPlatform, startMockPlatform } from './mock-platform.js';
import type { SyntheticOrganisation, SyntheticPerson } from './population.js';

export interface SimulatedCreditOptions {
  people: readonly SyntheticPerson[];
  /** Companies the platform and the snapshot know by their credit code. @default none */
  organisations?: readonly SyntheticOrganisation[];
  seed: string;
  pseudonymizer: Pseudonymizer;
  clock: Clock;
  /** When the platform's nightly snapshot was generated. */
  snapshotAt: number;
  /** People the platform has never scored (neither in lookups nor in the snapshot). */
  unknown?: ReadonlySet<string>;
  /** The platform source's own budget, so the snapshot still gets a turn. @default 150 */
  platformTimeoutMs?: number;
  /**
   * Where the offline snapshot (`snapshot.sqlite`) is kept, as a deployment's data directory; it is
   * left in place on `close()`, and a later run applies a newer snapshot over it.
   * @default a temporary directory, removed on `close()`
   */
  dataDir?: string;
  /** Given to the platform clients. @default silentLogger */
  logger?: Logger;
}

export interface SimulatedCredit {
  /** Asked in this order: a verified credit code → the platform over HTTP → the offline snapshot. */
  chain: CreditResolver[];
  /** Each citizen's phone, which shows a fresh signed credit code. */
  phones: ReadonlyMap<string, VirtualPhone>;
  /** True when the offline snapshot could be opened (better-sqlite3 is an optional dependency). */
  hasSnapshot: boolean;
  /**
   * A second client of the same platform, for the journal's uploader. It has its own circuit breaker:
   * upload attempts run on the uploader's real-time timer, and if they shared the lookups' breaker
   * they would decide — by timing alone — whether a lookup is tried, and the demo would stop being
   * deterministic for a seed.
   */
  uploadClient: HttpPlatformResolver;
  /** The mock platform itself: what it received (`uploads`), its requests, its faults. */
  platform: MockPlatform;
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
  const organisations = options.organisations ?? [];
  const platform = await startMockPlatform({
    people: known,
    organisations,
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
  const clientOptions = {
    baseUrl: platform.url,
    keyId: 'demo-terminals',
    secret,
    // The platform signs its lookup answers; they verify under its own trust list.
    trustList: loadTrustList(platform.issuer.trustList, {
      rootPublicKey: platform.issuer.rootPublicKey,
      now: clock.now(),
    }),
    clock,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const http = createHttpPlatformResolver({ ...clientOptions, timeoutMs: options.platformTimeoutMs ?? 150 });
  const uploadClient = createHttpPlatformResolver({ ...clientOptions, name: 'platform-uploads' });

  let store: SnapshotStore | undefined;
  // Only a directory made here is removed on close.
  let tempDir: string | undefined;
  try {
    let dir = options.dataDir;
    if (dir === undefined) {
      tempDir = mkdtempSync(join(tmpdir(), 'xinyi-demo-'));
      dir = tempDir;
    } else {
      mkdirSync(dir, { recursive: true });
    }
    store = await openSnapshotStore({ path: join(dir, 'snapshot.sqlite'), clock });
    const keys = generateKeyPairSync('ed25519');
    const bytes = buildSnapshot(
      [
        ...known.flatMap((p) => [
          { pseudonym: pseudonymizer.pseudonymize(p.idNumber), tier: p.tier, lists: p.lists },
          { pseudonym: pseudonymizer.pseudonymize(p.memberCode, 'member'), tier: p.tier, lists: p.lists },
        ]),
        ...organisations.map((o) => ({
          pseudonym: pseudonymizer.pseudonymize(o.creditCode, 'organisation-code'),
          tier: o.tier,
          lists: o.lists,
          subjectType: 'organisation' as const,
        })),
      ],
      // A store kept from an earlier run only takes a newer snapshot.
      {
        privateKey: keys.privateKey,
        sequence: (store.info()?.sequence ?? 0) + 1,
        generatedAt: options.snapshotAt,
      },
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
    uploadClient,
    platform,
    setPlatformDown: (down) => {
      platform.faults.clear();
      if (down) platform.faults.inject({ kind: 'status', status: 503 }, { times: 1_000_000 });
    },
    close: async () => {
      store?.close();
      await platform.close();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
