import { describe, expect, it } from 'vitest';
import { XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { createUploader, type UploadPlatform } from '../../../sdk/journal/uploader.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { TerminalEventMap } from '../../../sdk/terminal/terminal-contract.js';
import { generatePopulation } from '../../../simulator/population.js';

const pseudonymizer = createPseudonymizer('terminal-uploader-test-key-0123456789');
const people = generatePopulation(5, 'terminal-uploader-test');

/** A platform that refuses uploads while `down` and stores them otherwise. */
function platform(): UploadPlatform & { down: boolean; received: unknown[] } {
  const self = {
    down: true,
    received: [] as unknown[],
    async uploadDecisions(batch: readonly unknown[]) {
      if (self.down) throw new XinyiError('CREDIT_UNAVAILABLE', 'platform down (test)');
      self.received.push(...batch);
      return { accepted: batch.length, duplicate: false };
    },
    async uploadDisclosures(batch: readonly unknown[]) {
      return self.uploadDecisions(batch);
    },
  };
  return self;
}

describe('terminal with an uploader', () => {
  it('shows the uploader offline and online in its own events and diagnostics() (never as a credit source), and raises the backlog alarm', async () => {
    const journal = createMemoryJournal();
    const upstream = platform();
    const uploader = createUploader({
      journal,
      platform: upstream,
      intervalMs: 10,
      maxBackoffMs: 20,
      backlogAlarmThreshold: 2,
    });
    const terminal = createTerminal({
      terminalId: 'uploader-test-01',
      scene: 'library-kiosk',
      pseudonymizer,
      journal,
      uploader,
      credit: [
        createInMemoryCreditProvider({
          standings: people.map(
            (p) => [pseudonymizer.pseudonymize(p.idNumber), { tier: p.tier, lists: [] }] as const,
          ),
        }),
      ],
    });
    const events: string[] = [];
    const record =
      <K extends keyof TerminalEventMap>(name: K, describe: (...args: TerminalEventMap[K]) => string) =>
      (...args: TerminalEventMap[K]) =>
        events.push(`${name}:${describe(...args)}`);
    terminal.on(
      'offline',
      record('offline', (e) => `${e.source}:${e.reason}`),
    );
    terminal.on(
      'online',
      record('online', (e) => e.source),
    );
    terminal.on(
      'uploader',
      record('uploader', (e) => `${e.state}${e.code === undefined ? '' : `:${e.code}`}`),
    );
    terminal.on(
      'alarm',
      record('alarm', (a) => `${a.kind}:${a.active}`),
    );

    for (const person of people) await terminal.present({ kind: 'id-card', idNumber: person.idNumber });
    uploader.start();
    try {
      const until = async (check: () => boolean) => {
        for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(check()).toBe(true);
      };
      await until(() => events.includes('uploader:offline:CREDIT_UNAVAILABLE'));
      await until(() => events.includes('alarm:upload-backlog:true'));
      // The uploader is not a credit source: decisions are still made from the sources.
      expect(terminal.offlineSources()).toEqual([]);
      expect(terminal.diagnostics().creditSources.map((s) => s.name)).not.toContain('uploader');
      expect(terminal.diagnostics().uploader).toBe('offline');
      expect(terminal.diagnostics().alarms).toContain('upload-backlog');

      upstream.down = false;
      await until(() => events.includes('uploader:online'));
      await until(() => events.includes('alarm:upload-backlog:false'));
      expect(terminal.diagnostics().uploader).toBe('online');
      expect(events.filter((e) => e.startsWith('offline:') || e.startsWith('online:'))).toEqual([]);
      expect(upstream.received).toHaveLength(people.length);
    } finally {
      await uploader.stop();
      await terminal.close();
    }
  });
});
