// A short soak (scripts/soak.ts) as `npm run soak` runs it, in a child process: the gate daemon and a
// checkout terminal under arrivals, with two of each fault kind forced in the first seconds. The
// invariants must hold, and the report must have the shape docs/reliability.md is generated from.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeModule } from '../../adapters/native.js';
import { FAULT_KINDS } from '../../scripts/soak/fault-kinds.js';
import { renderReliabilityDoc } from '../../scripts/soak/report.js';
import type { SoakReport } from '../../scripts/soak/report-shape.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type CliRun, root, runNode } from '../cli/run-node.js';

const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}
const hasSerialport = await loadNativeModule('serialport').then(
  () => true,
  () => false,
);

const dir = mkdtempSync(join(tmpdir(), 'xinyi-soak-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSoak(args: string[]): Promise<CliRun> {
  return runNode(['--import', 'tsx', join(root, 'scripts/soak.ts'), ...args], { until: 'exit' });
}

describe.skipIf(!socat || !hasSerialport)(
  'soak smoke run (socat PTYs, the daemon as a child process)',
  () => {
    it('holds every invariant through two of each fault kind, and reports them', async () => {
      const reportFile = join(dir, 'report.json');
      const doc = join(dir, 'reliability.md');
      const run = await runSoak([
        '--minutes',
        '0.5',
        '--force-early',
        '--seed',
        'smoke',
        '--json',
        reportFile,
        '--write-doc',
        '--doc',
        doc,
      ]);
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as SoakReport;
      const failed = report.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`);
      expect(failed, `${run.stdout}\n${run.stderr.slice(-2_000)}`).toEqual([]);
      expect(run.code).toBe(0);
      expect(report.ok).toBe(true);

      // Every fault kind was injected at least twice, and the platform faults reached the platform.
      for (const kind of FAULT_KINDS) expect(report.faults[kind].injected, kind).toBeGreaterThanOrEqual(2);
      const affected = Object.values(report.faults).reduce((n, f) => n + (f.requestsAffected ?? 0), 0);
      expect(affected).toBeGreaterThan(0);
      expect(report.devices.restarts).toBeGreaterThanOrEqual(2);
      expect(report.devices.episodesChecked).toBeGreaterThanOrEqual(14);

      // People were served, and every gate arrival is accounted for: decided, not presented, or
      // interrupted by a SIGKILL; none missed, none decided for nobody.
      const g = report.gate;
      expect(g.decided).toBeGreaterThan(0);
      expect(g.decided + g.notPresented + g.interruptedByKill + g.missed).toBe(g.arrivals);
      expect(g.missed).toBe(0);
      expect(g.unattributed).toBe(0);
      expect(report.checkout.decisions).toBeGreaterThan(0);

      // What was logged and returned is what the journals hold, and the platform got all of it.
      expect(report.journal.gateDecisionsInJournal).toBe(
        report.journal.gateDecisionsLogged + report.journal.committedNotLogged,
      );
      expect(report.journal.checkoutDecisionsInJournal).toBe(report.checkout.decisions);
      expect(report.losses.total).toBe(0);
      expect(report.duplicates.unexplained).toBe(0);

      // The privacy search read the journals and the logs, and the platform's requests.
      expect(report.privacy.found).toEqual([]);
      expect(report.privacy.platformRequestsScanned).toBeGreaterThan(0);
      const files = report.privacy;
      expect(files.filesScanned).toBeGreaterThan(5);

      expect(report.invariants.map((i) => i.name)).toEqual([
        'every credential got a decision within its deadline',
        'no decision for a credential nobody presented',
        'no unhandled rejection or uncaught exception',
        'no device stuck',
        'no decision lost',
        'no decision uploaded twice',
        'memory and file descriptors flat',
        'no raw ID number or name in anything written',
      ]);
      const r = report.resources;
      for (const trend of [
        r.daemonRssMb,
        r.daemonHeapMb,
        r.daemonFds,
        r.soakRssMb,
        r.soakHeapMb,
        r.soakFds,
      ]) {
        expect(trend.leak).toBe(false);
      }
      // Sampled throughout: RSS and FDs every 2 s, the live heap after a full GC from the daemon's probe.
      expect(r.samples.daemonRssMb.length).toBeGreaterThan(10);
      expect(r.samples.daemonHeapMb.length).toBeGreaterThan(3);
      expect(r.daemonSegments).toBe(report.devices.restarts + 1);

      // The document is the report: the table, the command that produced it, the machine.
      // The document (formatted by biome when it lies in the project) is this report.
      const written = readFileSync(doc, 'utf8');
      const unpadded = (text: string) => text.replace(/-{3,}/g, '---').replace(/ +/g, ' ');
      expect(unpadded(written)).toBe(unpadded(renderReliabilityDoc(report)));
      expect(written).toContain('npm run soak -- --minutes 0.5 --force-early --seed smoke\n');
      expect(written).toContain(`Node ${report.machine.node}`);
      expect(written).toMatch(/\| daemon SIGKILLed and restarted +\| +\d+ +\|/);
    }, 300_000);
  },
);
