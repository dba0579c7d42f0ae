// `npm run bench`: verifyCreditCode() throughput for Ed25519 and ES256 issuers, against a baseline
// of the two bare signature checks (issuer + holder crypto.verify) on the same codes. The difference
// is the verifier's own work (Base45, parsing, key lookup, holder key decompression, window checks).
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  createReplayCache,
  decodeBase45,
  loadTrustList,
  type TrustList,
  verifyCreditCode,
} from '../sdk/credit/index.js';
import { createCreditIssuer } from '../simulator/credit-issuer.js';
import { fmt, throughput } from './stats.js';

const CODES = 512;
const HOLDER_SPKI_PREFIX = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

export async function runCreditCodeBench(): Promise<void> {
  const now = Date.now();
  console.log(`\nverifyCreditCode() — ${CODES} distinct codes, verifications per second`);
  for (const alg of ['Ed25519', 'ES256'] as const) {
    const issuer = createCreditIssuer({ seed: `bench-${alg}`, alg, now });
    const trustList: TrustList = loadTrustList(issuer.trustList, {
      rootPublicKey: issuer.rootPublicKey,
      now,
    });
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

    const baseline = throughput((i) => {
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
    }, 1500);
    // A fresh replay cache per pass: every code verifies in full (none is refused as a replay).
    const run = (cacheCredentials: boolean) => {
      let cache = createReplayCache();
      return throughput((i) => {
        if (i % CODES === 0) cache = createReplayCache();
        const result = verifyCreditCode(texts[i % CODES]!, {
          trustList,
          now,
          replayCache: cache,
          cacheCredentials,
        });
        if (!result.ok) throw new Error(`bench code refused: ${result.reason}`);
        return result;
      }, 1500);
    };
    const cold = run(false);
    const warm = run(true);
    console.log(
      `  ${alg.padEnd(8)} issuer  cold ${fmt(cold).padStart(6)}/s  (${fmt(cold / baseline, 2)} × baseline)   ` +
        `returning phone ${fmt(warm).padStart(6)}/s   baseline ${fmt(baseline).padStart(6)}/s`,
    );
  }
  console.log(
    '  baseline: the two bare crypto.verify calls with pre-imported keys (no parsing, no key import)',
  );
  console.log(
    '  cold: every credential new to the terminal; returning phone: credential seen before, new presentation',
  );
  console.log('  target ≥ 3,000 verifications/s');
}

if (import.meta.url === `file://${process.argv[1]}`) await runCreditCodeBench();
