// `node --import tsx bench/credit-code.bench.ts` (also in `npm run bench`): verifyCreditCode() throughput for Ed25519 and ES256 issuers, against a baseline
// of the two bare signature checks (issuer + holder crypto.verify) on the same codes. The difference
// is the verifier's own work (Base45, parsing, key lookup, holder key decompression, window checks).
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  createReplayCache,
  DEFAULT_MAX_STATUS_AGE_MS,
  decodeBase45,
  loadStatusList,
  loadTrustList,
  statusListSignerTrusted,
  type TrustList,
  verifyCreditCode,
} from '../sdk/credit/index.js';
import { createCreditIssuer } from '../simulator/credit-issuer.js';
import { type BenchResult, type Figure, figure, runAlone, summarize } from './harness.js';
import { throughput, throughputWithCpu } from './stats.js';

const CODES = 512;
const ROUNDS = 5;
const ROUND_MS = 400;
const HOLDER_SPKI_PREFIX = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

export async function runCreditCodeBench(): Promise<BenchResult> {
  const now = Date.now();
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const alg of ['Ed25519', 'ES256'] as const) {
    const issuer = createCreditIssuer({ seed: `bench-${alg}`, alg, now });
    const trustList: TrustList = loadTrustList(issuer.trustList, {
      rootPublicKey: issuer.rootPublicKey,
      now,
    });
    // As the terminal's resolver checks them: against a status list under the default age limit.
    const statusList = loadStatusList(issuer.signedStatusList(now - 60_000), { trustList, now });
    const texts = Array.from({ length: CODES }, (_, i) =>
      issuer.issue(`bench-${i}`, 'AA', { now: now - 3_600_000 }).present(now),
    );
    const issuerKey = issuer.issuerPublicKey;
    const raw = texts.map((t) => Buffer.from(decodeBase45(t.slice(4))));
    const holderKeys = raw.map((b) =>
      createPublicKey({
        key: Buffer.concat([HOLDER_SPKI_PREFIX, b.subarray(36, 69)]),
        format: 'der',
        type: 'spki',
      }),
    );

    const bare = (i: number) => {
      const b = raw[i % CODES]!;
      const ok =
        alg === 'Ed25519'
          ? verify(null, b.subarray(0, 69), issuerKey, b.subarray(69, 133))
          : verify(
              'sha256',
              b.subarray(0, 69),
              { key: issuerKey, dsaEncoding: 'ieee-p1363' },
              b.subarray(69, 133),
            );
      const message = Buffer.concat([
        Buffer.from('QZC1-PRES'),
        createHash('sha256').update(b.subarray(0, 133)).digest(),
        b.subarray(133, 137),
      ]);
      return (
        ok &&
        verify(
          'sha256',
          message,
          { key: holderKeys[i % CODES]!, dsaEncoding: 'ieee-p1363' },
          b.subarray(137, 201),
        )
      );
    };
    // A fresh replay cache per pass: every code verifies in full (none is refused as a replay).
    const run = (cacheCredentials: boolean, withStatus = true) => {
      let cache = createReplayCache();
      return throughputWithCpu((i) => {
        if (i % CODES === 0) cache = createReplayCache();
        const result = verifyCreditCode(texts[i % CODES]!, {
          trustList,
          now,
          replayCache: cache,
          ...(withStatus ? { statusList, maxStatusAgeMs: DEFAULT_MAX_STATUS_AGE_MS } : {}),
          cacheCredentials,
        });
        if (!result.ok) throw new Error(`bench code refused: ${result.reason}`);
        return result;
      }, ROUND_MS);
    };
    // What the status-list check itself costs per code (signer still trusted, index covered, bit).
    const statusCheck = (i: number) =>
      statusListSignerTrusted(statusList, trustList) &&
      (i & 0xffff) < statusList.size &&
      statusList.isRevoked(i & 0xffff);
    const values = {
      cold: [] as number[],
      coldCpu: [] as number[],
      unchecked: [] as number[],
      warm: [] as number[],
      baseline: [] as number[],
      statusNs: [] as number[],
    };
    for (let r = -1; r < ROUNDS; r++) {
      const b = throughput(bare, ROUND_MS);
      const c = run(false);
      const u = run(false, false);
      const w = run(true);
      const st = throughput(statusCheck, ROUND_MS / 4);
      if (r < 0) continue;
      values.baseline.push(b);
      values.cold.push(c.wall);
      values.coldCpu.push(c.cpu);
      values.unchecked.push(u.wall);
      values.warm.push(w.wall);
      values.statusNs.push(1e9 / st);
    }
    const baseline = { label: 'the two bare crypto.verify calls', ...summarize(values.baseline) };
    const cold = summarize(values.cold);
    figures.push(
      figure(
        `credit-code.${alg.toLowerCase()}.cold`,
        `${alg} issuer, credential new to the terminal`,
        'verifications/s',
        cold,
        baseline,
      ),
      figure(
        `credit-code.${alg.toLowerCase()}.cold-status`,
        `${alg} issuer, new credential, with the status-list check`,
        'verifications/s',
        cold,
        { label: 'the same without the status-list check', ...summarize(values.unchecked) },
      ),
      figure(
        `credit-code.${alg.toLowerCase()}.cold-cpu`,
        `${alg} issuer, new credential, per CPU-second`,
        'verifications/s',
        summarize(values.coldCpu),
      ),
      figure(
        `credit-code.${alg.toLowerCase()}.status-check`,
        `${alg}: the status-list check alone`,
        'ns/code',
        summarize(values.statusNs),
      ),
      figure(
        `credit-code.${alg.toLowerCase()}.returning`,
        `${alg} issuer, returning phone`,
        'verifications/s',
        summarize(values.warm),
        baseline,
      ),
    );
    const coldCpu = summarize(values.coldCpu).median;
    notes.push(
      `target ≥ 3,000 verifications/s, ${alg} cold: ${cold.median >= 3000 ? 'met' : 'NOT met'} on the wall clock, ` +
        `${coldCpu >= 3000 ? 'met' : 'NOT met'} per CPU-second (what one free core delivers)`,
    );
  }
  return {
    bench: 'credit-code',
    title: `verifyCreditCode() — ${CODES} distinct codes, verifications per second`,
    figures,
    notes: [
      `${ROUNDS} rounds of ${ROUND_MS} ms per measure after a warm-up round, round-robin; baseline: pre-imported keys, no parsing`,
      'every verification with the status-list check the resolver requires (a list under 24 h old, its signer still trusted, the index in range)',
      ...notes,
    ],
  };
}

await runAlone(import.meta.url, runCreditCodeBench);
