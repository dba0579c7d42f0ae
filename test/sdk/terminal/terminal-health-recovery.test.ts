import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPlatformResolver } from '../../../sdk/credit/http-platform.js';
import { createTerminalMetrics } from '../../../sdk/diagnostics/terminal-metrics.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { createUploader } from '../../../sdk/journal/uploader.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import { type MockPlatform, startMockPlatform } from '../../../simulator/mock-platform.js';
import { generatePopulation } from '../../../simulator/population.js';

const KEY_ID = 'health-recovery-key';
const SECRET = 'health-recovery-secret-not-a-secret';
const PSEUDONYM_KEY = 'health-recovery-pseudonym-key-0123456789';
const people = generatePopulation(4, 'health-recovery');

/** Health at a quiet gate: the platform goes away and comes back while nobody taps a card. */
describe('a credit source recovers on its own traffic, not only on the next decision', () => {
  let mock: MockPlatform;
  beforeAll(async () => {
    mock = await startMockPlatform({ pseudonymKey: PSEUDONYM_KEY, keyId: KEY_ID, secret: SECRET, people });
  });
  afterAll(() => mock.close());

  it('outage → recovery with no taps: the sync or the uploader reaching the platform brings the source back up', async () => {
    const platform = createHttpPlatformResolver({
      baseUrl: mock.url,
      keyId: KEY_ID,
      secret: SECRET,
      terminalId: 'health-recovery-01',
      timeoutMs: 300,
      transferTimeoutMs: 2_000,
      retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 1 },
      breaker: { failureThreshold: 1, cooldownMs: 10 },
    });
    const journal = createMemoryJournal();
    const uploader = createUploader({ journal, platform, intervalMs: 60_000 });
    const terminal = createTerminal({
      terminalId: 'health-recovery-01',
      scene: 'library-kiosk',
      pseudonymizer: createPseudonymizer(PSEUDONYM_KEY),
      credit: [platform],
      journal,
      uploader,
    });
    const metrics = createTerminalMetrics({ terminal, journal, uploaderState: () => uploader.state });
    const up = () => /xinyi_credit_source_up\{source="platform"\} (\d)/.exec(metrics.render())?.[1];
    try {
      mock.faults.inject({ kind: 'status', status: 503 }, { times: 100 });
      const person = people[0]!;
      const decision = await terminal.present({ kind: 'id-card', idNumber: person.idNumber });
      expect(decision.standingSource).not.toBe('platform');
      expect(terminal.offlineSources()).toEqual(['platform']);
      expect(up()).toBe('0');
      // The uploader fails too, and shows as itself, never as a credit source.
      expect((await uploader.flush()).error).toBeDefined();
      expect(terminal.offlineSources()).toEqual(['platform']);
      expect(terminal.diagnostics().uploader).toBe('offline');
      expect(metrics.render()).not.toContain('source="uploader"');

      // The platform comes back. Nobody taps: the next sync download (here the trust list) reaches it.
      mock.faults.clear();
      await new Promise((resolve) => setTimeout(resolve, 20)); // past the breaker's 10 ms cool-down
      await platform.getTrustList();
      expect(terminal.offlineSources()).toEqual([]);
      expect(up()).toBe('1');
      expect(terminal.diagnostics().creditSources).toEqual([
        expect.objectContaining({ name: 'platform', offline: false }),
      ]);
      // And the uploader's own entry clears on its own delivery.
      expect((await uploader.flush()).error).toBeUndefined();
      expect(terminal.diagnostics().uploader).toBe('online');
    } finally {
      metrics.dispose();
      await uploader.stop();
      await terminal.close();
    }
  });

  it("the source's own failed sync takes it offline with no tap, and its next good one brings it back", async () => {
    const platform = createHttpPlatformResolver({
      baseUrl: mock.url,
      keyId: KEY_ID,
      secret: SECRET,
      terminalId: 'health-recovery-02',
      retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 1 },
      breaker: { failureThreshold: 1, cooldownMs: 10 },
    });
    const terminal = createTerminal({
      terminalId: 'health-recovery-02',
      scene: 'library-kiosk',
      pseudonymizer: createPseudonymizer(PSEUDONYM_KEY),
      credit: [platform],
    });
    const events: string[] = [];
    terminal.on('offline', (e) => events.push(`offline ${e.source} ${e.reason}`));
    terminal.on('online', (e) => events.push(`online ${e.source}`));
    try {
      mock.faults.inject({ kind: 'status', status: 503 }, { times: 100 });
      await expect(platform.getTrustList()).rejects.toMatchObject({ code: 'CREDIT_UNAVAILABLE' });
      expect(terminal.offlineSources()).toEqual(['platform']);
      mock.faults.clear();
      await new Promise((resolve) => setTimeout(resolve, 20)); // past the breaker's 10 ms cool-down
      await platform.getTrustList();
      expect(terminal.offlineSources()).toEqual([]);
      expect(events).toEqual(['offline platform CREDIT_UNAVAILABLE', 'online platform']);
    } finally {
      await terminal.close();
    }
  });
});
