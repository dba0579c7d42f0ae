import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGateConfig, readSecretBytes } from '../../cli/gate/config.js';
import { pseudonymizerFromConfig } from '../../cli/gate/local-files.js';
import { createHttpPlatformResolver } from '../../sdk/credit/http-platform.js';
import { loadTrustList } from '../../sdk/credit/trust-list.js';
import { createPseudonymizer } from '../../sdk/identity/index.js';
import { subjectFromIdNumber } from '../../sdk/identity/subject.js';
import { startMockPlatform } from '../../simulator/mock-platform.js';
import { generatePopulation } from '../../simulator/population.js';

/**
 * One key file, both ends: the gate daemon's reading (its configuration's `pseudonymKey` and
 * `platform.secret` files) and the mock platform's (`pseudonymKeyFile`, `secretFile`) must give the
 * same bytes in every documented encoding, or the platform finds nobody the lane asks about.
 */
const dir = mkdtempSync(join(tmpdir(), 'xinyi-key-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const person = generatePopulation(3, 'key-file-encodings')[0]!;
/** A binary key: 0xff is never UTF-8 and 0x00 is a control character, so no text reading keeps it. */
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 0xff) & 0xff));
/** A binary platform secret, signed with by the daemon and checked by the platform. */
const SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 59 + 0x80) & 0xff));

const ENCODINGS: Record<string, (bytes: Buffer) => Buffer | string> = {
  'raw bytes': (bytes) => bytes,
  hex: (bytes) => `hex:${bytes.toString('hex')}\n`,
  base64: (bytes) => `base64:${bytes.toString('base64')}\n`,
  'base64 (URL-safe, unpadded)': (bytes) => `base64:${bytes.toString('base64url')}`,
};

describe('key files: the daemon and the platform derive the same pseudonyms', () => {
  it('a binary key file is its bytes, not its UTF-8 reading (the daemon side)', () => {
    const file = join(dir, 'binary.key');
    writeFileSync(file, KEY, { mode: 0o600 });
    const config = parseGateConfig({
      terminalId: 'gate-key-files',
      pseudonymKey: { file },
      dataDir: join(dir, 'data'),
      devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
    });
    const daemon = pseudonymizerFromConfig(config, dir);
    expect(daemon.pseudonymize(person.idNumber)).toBe(createPseudonymizer(KEY).pseudonymize(person.idNumber));
    expect(daemon.pseudonymize(person.idNumber)).not.toBe(
      createPseudonymizer(KEY.toString('utf8').trim()).pseudonymize(person.idNumber),
    );
  });

  for (const [encoding, encode] of Object.entries(ENCODINGS)) {
    it(`${encoding}: the platform finds the person the daemon asks about, under a request signed with the same secret`, async () => {
      const keyFile = join(dir, `pseudonym-${encoding.replace(/\W+/g, '-')}.key`);
      const secretFile = join(dir, `platform-${encoding.replace(/\W+/g, '-')}.secret`);
      writeFileSync(keyFile, encode(KEY), { mode: 0o600 });
      writeFileSync(secretFile, encode(SECRET), { mode: 0o600 });
      const platform = await startMockPlatform({
        people: [person],
        pseudonymKeyFile: keyFile,
        keyId: 'terminals',
        secretFile,
      });
      try {
        const config = parseGateConfig({
          terminalId: 'gate-key-files',
          pseudonymKey: { file: keyFile },
          dataDir: join(dir, 'data'),
          devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
          platform: {
            baseUrl: platform.url,
            keyId: 'terminals',
            secret: { file: secretFile },
            trustRootPublicKey: { value: 'unused here' },
            snapshotPublicKeys: [{ value: 'unused here' }],
          },
        });
        // The daemon's own readings of its two key files.
        const pseudonymizer = pseudonymizerFromConfig(config, dir);
        const client = createHttpPlatformResolver({
          baseUrl: platform.url,
          keyId: 'terminals',
          secret: readSecretBytes(config.platform!.secret, dir, 'platform.secret'),
          trustList: loadTrustList(platform.issuer.trustList, {
            rootPublicKey: platform.issuer.rootPublicKey,
            now: Date.now(),
          }),
          retry: { maxAttempts: 1 },
        });
        const subject = subjectFromIdNumber(pseudonymizer, person.idNumber);
        expect(subject.pseudonym).toBe(createPseudonymizer(KEY).pseudonymize(person.idNumber));
        const standing = await client.resolve({
          subject,
          scene: 'scenic-gate',
          terminalId: 'gate-key-files',
          signal: new AbortController().signal,
          deadlineAt: Date.now() + 5_000,
        });
        expect(standing).toMatchObject({ tier: person.tier });
        expect(platform.requests.at(-1)).toMatchObject({ keyId: 'terminals', status: 200 });
      } finally {
        await platform.close();
      }
    });
  }
});
