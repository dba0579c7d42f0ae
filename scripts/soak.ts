// `npm run soak -- --minutes N`: the gate daemon and a checkout terminal under continuous arrivals and
// random faults (scripts/soak/harness.ts), then a report of the invariants; exit code 1 when one failed.
//
//   --minutes N        how long people keep arriving (default 10; decimals allowed)
//   --seed S           the seed of arrivals and faults (default 'xinyi-soak')
//   --force-early      two of each fault kind first, with short durations (the smoke test)
//   --margin-ms MS     scheduling slack on top of read time and deadline (default 1000)
//   --json FILE        also write the full report as JSON
//   --write-doc        regenerate docs/reliability.md from this run (--doc FILE: write it there instead)
//   --dir DIR          working folder (kept); default a temporary one, removed at the end
//   --keep             keep the temporary working folder
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { carryBlocksOver } from './bench-docs/blocks.js';
import { runSoak } from './soak/harness.js';
import { DEFAULT_MARGIN_MS } from './soak/limits.js';
import { renderReliabilityDoc, renderReport } from './soak/report.js';

const root = resolve(import.meta.dirname, '..');

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '10' },
      seed: { type: 'string', default: 'xinyi-soak' },
      'force-early': { type: 'boolean', default: false },
      'margin-ms': { type: 'string' },
      json: { type: 'string' },
      'write-doc': { type: 'boolean', default: false },
      doc: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('--minutes must be a positive number');
  const marginMs = values['margin-ms'] === undefined ? DEFAULT_MARGIN_MS : Number(values['margin-ms']);
  if (!Number.isFinite(marginMs) || marginMs < 0) throw new Error('--margin-ms must be a number of ms');
  // The command as a reader would type it again (without the output options).
  const shown = argv.filter((arg, i) => {
    const previous = argv[i - 1];
    return (
      !['--json', '--write-doc', '--doc', '--dir', '--keep'].includes(arg) &&
      previous !== '--json' &&
      previous !== '--doc' &&
      previous !== '--dir'
    );
  });
  const command = `npm run soak -- ${shown.join(' ')}`.trim();

  const report = await runSoak({
    minutes,
    seed: values.seed,
    forceEarly: values['force-early'],
    marginMs,
    command,
    keep: values.keep,
    ...(values.dir ? { dir: resolve(values.dir) } : {}),
    progress: (line) => console.error(line),
  });

  console.log(renderReport(report));
  console.log(`\nsoak ${report.ok ? 'passed' : 'FAILED'}: ${command}`);
  if (values.json) {
    mkdirSync(dirname(resolve(values.json)), { recursive: true });
    writeFileSync(resolve(values.json), `${JSON.stringify(report, null, 2)}\n`);
  }
  if (values['write-doc']) {
    const doc = values.doc ? resolve(values.doc) : join(root, 'docs', 'reliability.md');
    // The benches' section (`npm run bench:docs`) is not the soak's to rewrite: it is carried over.
    const previous = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
    writeFileSync(doc, carryBlocksOver(previous, renderReliabilityDoc(report)));
    // Formatted as `biome ci` expects the repository's Markdown (padded tables), so a regenerated
    // docs/reliability.md passes the lint step as it is.
    const biome = spawnSync(
      process.execPath,
      [join(root, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', doc],
      { cwd: root, encoding: 'utf8' },
    );
    if (biome.status !== 0) console.error(`biome format ${doc}: ${biome.stderr || biome.stdout}`);
    console.log(`wrote ${doc}`);
  }
  return report.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Handles the harness let go of (keep-alive sockets, the journal's timers) must not hold the exit.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    console.error(
      `soak failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(2);
  },
);
