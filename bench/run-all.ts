// `npm run bench [-- --json FILE] [-- --only a,b]`: every bench in one process, figures and ratios,
// never assertions. `--json FILE` writes every figure with its rounds, baseline and ratio, and the
// machine it ran on; `npm run bench:docs -- FILE` regenerates the published tables from that file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBacklogBench } from './backlog.bench.js';
import { runCalendarBench } from './calendar.bench.js';
import { runCameraDecoderBench } from './camera-decoders.bench.js';
import { runCameraSourceBench } from './camera-source.bench.js';
import { runCreditCodeBench } from './credit-code.bench.js';
import { runEvaluateBench } from './evaluate.bench.js';
import { runGateBench } from './gate.bench.js';
import { runGateCountsBench } from './gate-counts.bench.js';
import { type BenchResult, printResult } from './harness.js';
import { runIdCardReaderBench } from './id-card-reader.bench.js';
import { runJournalBench } from './journal.bench.js';
import { runPackSizeBench } from './pack-size.bench.js';
import { runPlatformBench } from './platform.bench.js';
import { runPresentBench } from './present.bench.js';
import { runSamDecoderBench } from './sam-decoder.bench.js';
import { runServeBench } from './serve.bench.js';
import { runSiteStateBench } from './site-state.bench.js';
import { runSnapshotBench } from './snapshot.bench.js';
import { runUploadBench } from './upload.bench.js';

const BENCHES: ReadonlyArray<readonly [string, () => Promise<BenchResult>]> = [
  ['evaluate', runEvaluateBench],
  ['calendar', runCalendarBench],
  ['pack-size', runPackSizeBench],
  ['present', runPresentBench],
  ['platform', runPlatformBench],
  ['credit-code', runCreditCodeBench],
  ['sam-decoder', runSamDecoderBench],
  ['id-card-reader', runIdCardReaderBench],
  ['camera-decoders', runCameraDecoderBench],
  ['camera-source', runCameraSourceBench],
  ['journal', runJournalBench],
  ['upload', runUploadBench],
  ['gate', runGateBench],
  ['gate-counts', runGateCountsBench],
  ['site-state', runSiteStateBench],
  ['snapshot', runSnapshotBench],
  ['backlog', runBacklogBench],
  ['serve', runServeBench],
];

/** What the published tables say about where and how they were measured. */
export interface BenchRun {
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: {
    node: string;
    platform: string;
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    /** 1, 5 and 15-minute load averages when the run started and when it ended. */
    loadBefore: number[];
    loadAfter: number[];
  };
  results: BenchResult[];
  /** The benches asked for with `--only`; absent when every bench ran. */
  only?: string[];
}

const { values } = parseArgs({
  options: { json: { type: 'string' }, only: { type: 'string' } },
  strict: true,
});
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !BENCHES.some(([n]) => n === name)) ?? [];
if (unknown.length > 0) throw new Error(`--only: no bench named ${unknown.join(', ')}`);

const round2 = (n: number) => Math.round(n * 100) / 100;
const startedAt = new Date().toISOString();
const loadBefore = loadavg().map(round2);
console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadBefore.join(' / ')}`,
);
const results: BenchResult[] = [];
for (const [name, run] of BENCHES) {
  if (only !== undefined && !only.includes(name)) continue;
  const result = await run();
  printResult(result);
  results.push(result);
}
const report: BenchRun = {
  command: `npm run bench${only === undefined ? '' : ` -- --only ${only.join(',')}`}`,
  startedAt,
  finishedAt: new Date().toISOString(),
  machine: {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadBefore,
    loadAfter: loadavg().map(round2),
  },
  results,
  ...(only === undefined ? {} : { only }),
};
console.log(`\nload at the end ${report.machine.loadAfter.join(' / ')}`);
if (values.json !== undefined) {
  const file = resolve(values.json);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
