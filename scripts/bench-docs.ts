// `npm run bench:docs -- FILE`: regenerates every published benchmark table (docs/benchmarks.md,
// docs/journal.md, docs/policy-packs.md, docs/reliability.md, docs/scanners.md, docs/id-card-readers.md,
// docs/gates.md, docs/platform-api.md, docs/serve.md, docs/credit-codes.md, README.md) from the
// JSON that `npm run bench -- --json FILE` wrote. Tables are never edited by hand: each sits between
// `<!-- bench:NAME -->` markers, and everything else in the files is left as it is. From a file of
// `npm run bench -- --only a,b --json FILE`, only the blocks made of those benches are rewritten (each
// block carries its own provenance line); the others, docs/benchmarks.md's list of every bench
// included, are kept as they were.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BenchResult, type Figure, formatValue } from '../bench/harness.js';
import type { BenchRun } from '../bench/run-all.js';
import { replaceBlock } from './bench-docs/blocks.js';

const root = resolve(import.meta.dirname, '..');

function load(file: string): BenchRun {
  const run = JSON.parse(readFileSync(file, 'utf8')) as BenchRun;
  if (!Array.isArray(run.results) || run.machine === undefined) {
    throw new Error(`${file} is not the output of npm run bench -- --json`);
  }
  return run;
}

function provenance(run: BenchRun): string {
  const m = run.machine;
  return (
    `Measured by \`${run.command}${run.command.includes(' -- ') ? '' : ' --'} --json FILE\` on ${run.startedAt.slice(0, 10)}: Node ${m.node}, ${m.platform}, ` +
    `${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB; load average (1 / 5 / 15 min) ${m.loadBefore.join(' / ')} ` +
    `at the start and ${m.loadAfter.join(' / ')} at the end. Each figure is the median of its rounds ` +
    '(min – max beside it); a baseline is measured in the same process, in alternating rounds, and the ratio ' +
    'is figure ÷ baseline. Regenerated from that file by `npm run bench:docs -- FILE`.'
  );
}

function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.label,
    formatValue(f.median, f.unit),
    f.rounds > 1 ? `${formatValue(f.min)} – ${formatValue(f.max)} (${f.rounds})` : '—',
    f.baseline === undefined ? '—' : `${formatValue(f.baseline.median, f.unit)} (${f.baseline.label})`,
    f.ratio === undefined ? '—' : `${formatValue(f.ratio)}×`,
  ]);
  const lines = [
    '| figure | median | rounds: min – max (n) | baseline | ratio |',
    '| --- | --: | --: | --- | --: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** The file lacks a bench or a figure that a block is made of (a run of `--only` some benches). */
class MissingFromRun extends Error {}

class Figures {
  readonly #byId = new Map<string, Figure>();
  readonly #results = new Map<string, BenchResult>();
  constructor(run: BenchRun) {
    for (const r of run.results) {
      this.#results.set(r.bench, r);
      for (const f of r.figures) this.#byId.set(f.id, f);
    }
  }
  result(bench: string): BenchResult {
    const r = this.#results.get(bench);
    if (r === undefined) throw new MissingFromRun(`the file has no ${bench} bench (run all of them)`);
    return r;
  }
  of(bench: string): Figure[] {
    return this.result(bench).figures;
  }
  get(id: string): Figure {
    const f = this.#byId.get(id);
    if (f === undefined) throw new MissingFromRun(`the file has no figure ${id}`);
    return f;
  }
  notes(bench: string): string {
    return this.result(bench)
      .notes.map((n) => `- ${n}`)
      .join('\n');
  }
}

function section(figures: Figures, bench: string, command: string): string {
  const r = figures.result(bench);
  return `**${r.title}** (\`${command}\`)\n\n${table(r.figures)}\n\n${figures.notes(bench)}`;
}

const alone = (bench: string) => `node --import tsx bench/${bench}.bench.ts`;

/** ZXing's QR test images: one row per decoder configuration (reads, misreads, time per image). */
function blackboxTable(figures: Figures): string {
  const reads = figures.of('camera-decoders').filter((x) => /^camera\.blackbox\.[^.]+\.read$/.test(x.id));
  // Labels read "<configuration>: read (of N)".
  const split = (label: string) => [
    label.slice(0, label.lastIndexOf(': ')),
    label.slice(label.lastIndexOf(': ') + 2),
  ];
  const rows = reads.map((read) => {
    const key = read.id.slice(0, -'.read'.length);
    const ms = figures.get(`${key}.ms`);
    return [
      split(read.label)[0]!,
      String(read.median),
      String(figures.get(`${key}.misreads`).median),
      formatValue(ms.median, ms.unit),
      read.ratio === undefined ? '—' : `${formatValue(read.ratio)}×`,
    ];
  });
  const baseline = reads.find((r) => r.baseline !== undefined)?.baseline?.label;
  return [
    `| configuration | ${split(reads[0]?.label ?? ': read')[1]} | misreads | median per image | read ÷ ${baseline ?? 'baseline'} |`,
    '| --- | --: | --: | --: | --: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Every block, by file and name. */
const BLOCKS: Record<string, Record<string, (f: Figures, run: BenchRun) => string>> = {
  'docs/benchmarks.md': {
    all: (f, run) => {
      // Every bench or none: a partial run would drop the others from the list.
      if (run.only !== undefined) throw new MissingFromRun('a run of --only some benches');
      return [
        provenance(run),
        ...run.results.map((r) => `### ${r.bench}\n\n${section(f, r.bench, alone(r.bench))}`),
      ].join('\n\n');
    },
  },
  // One block per bench, so that a run of `--only` one of them rewrites its table alone.
  'docs/journal.md': {
    journal: (f, run) => [provenance(run), section(f, 'journal', alone('journal'))].join('\n\n'),
    upload: (f, run) => [provenance(run), section(f, 'upload', alone('upload'))].join('\n\n'),
    backlog: (f, run) => [provenance(run), section(f, 'backlog', alone('backlog'))].join('\n\n'),
    'journal-chain': (f, run) =>
      [
        provenance(run),
        `**The hash chain's cost** (\`${alone('journal')}\`)`,
        table([f.get('journal.chain-full'), f.get('journal.chain-normal')]),
      ].join('\n\n'),
  },
  'docs/policy-packs.md': {
    'pack-size': (f, run) =>
      [
        provenance(run),
        section(f, 'pack-size', alone('pack-size')),
        section(f, 'evaluate', alone('evaluate')),
      ].join('\n\n'),
  },
  'docs/reliability.md': {
    costs: (f, run) =>
      [
        '## Costs as the work grows',
        'What a terminal pays as its backlog, its snapshot and its pack grow (the soak above runs for ' +
          'minutes; these are the sizes of months). This section is written by `npm run bench:docs`, ' +
          'not by the soak, which keeps it when it rewrites this file.',
        provenance(run),
        section(f, 'snapshot', alone('snapshot')),
        `**Pack size** (\`${alone('pack-size')}\`)\n\n${table(f.of('pack-size'))}`,
      ].join('\n\n'),
    'costs-backlog': (f, run) => [provenance(run), section(f, 'backlog', alone('backlog'))].join('\n\n'),
  },
  'docs/scanners.md': {
    'zxing-blackbox': (f, run) =>
      [
        provenance(run),
        blackboxTable(f),
        f
          .result('camera-decoders')
          .notes.filter((n) => n.startsWith('blackbox: '))
          .map((n) => `- ${n.slice('blackbox: '.length)}`)
          .join('\n'),
      ].join('\n\n'),
    camera: (f, run) =>
      [
        provenance(run),
        table(f.of('camera-decoders').filter((x) => x.id.startsWith('camera.1280x720.'))),
        `The full output (both resolutions, every variant, module pitch): \`${alone('camera-decoders')}\`.`,
      ].join('\n\n'),

    'camera-source': (f, run) =>
      [provenance(run), section(f, 'camera-source', alone('camera-source'))].join('\n\n'),
  },
  'docs/id-card-readers.md': {
    'id-card-reader': (f, run) =>
      [provenance(run), section(f, 'id-card-reader', alone('id-card-reader'))].join('\n\n'),
  },
  'docs/gates.md': {
    'gate-counts': (f, run) =>
      [provenance(run), section(f, 'gate-counts', alone('gate-counts'))].join('\n\n'),
    'site-state': (f, run) => [provenance(run), section(f, 'site-state', alone('site-state'))].join('\n\n'),
  },
  'docs/platform-api.md': {
    'signed-answers': (f, run) => [provenance(run), section(f, 'platform', alone('platform'))].join('\n\n'),
  },
  'docs/serve.md': {
    serve: (f, run) => [provenance(run), section(f, 'serve', alone('serve'))].join('\n\n'),
  },
  'docs/credit-codes.md': {
    'credit-code': (f, run) =>
      [provenance(run), section(f, 'credit-code', alone('credit-code'))].join('\n\n'),
  },
  'README.md': {
    figures: (f, run) =>
      [
        table(
          [
            ['evaluate()', 'evaluate.mixed'],
            ['terminal', 'present.p99'],
            ['journal', 'journal.full'],
            ['snapshot', 'snapshot.lookup-p99.1M'],
            ['snapshot', 'snapshot.apply.1M'],
            ['backlog', 'backlog.drain.1M'],
            ['backlog', 'backlog.lane-p99'],
            ['gate', 'gate.card-open-written-p99'],
          ].map(([area, id]) => ({ ...f.get(id!), label: `${area}: ${f.get(id!).label}` })),
        ),
        `${provenance(run)} Every figure: [docs/benchmarks.md](docs/benchmarks.md).`,
      ].join('\n\n'),
  },
};

/**
 * Every published file's text with its blocks regenerated from `run`; a block made of a bench the
 * run lacks is kept as it was (listed in `kept`) when the run was of `--only` some benches, and is
 * an error otherwise. `read` gives a file's current text by its path in the repository.
 */
export function regenerate(
  run: BenchRun,
  read: (path: string) => string,
): { texts: Map<string, string>; kept: string[] } {
  const figures = new Figures(run);
  const texts = new Map<string, string>();
  const kept: string[] = [];
  for (const [path, blocks] of Object.entries(BLOCKS)) {
    let text = read(path);
    for (const [name, render] of Object.entries(blocks)) {
      let body: string;
      try {
        body = render(figures, run);
      } catch (error) {
        if (!(error instanceof MissingFromRun) || run.only === undefined) throw error;
        kept.push(`${path} ${name}`);
        continue;
      }
      text = replaceBlock(text, name, body);
    }
    texts.set(path, text);
  }
  return { texts, kept };
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined)
    throw new Error('usage: npm run bench:docs -- FILE (written by npm run bench -- --json FILE)');
  const run = load(resolve(file));
  const { texts, kept } = regenerate(run, (path) => readFileSync(join(root, path), 'utf8'));
  const written: string[] = [];
  for (const [path, text] of texts) {
    const full = join(root, path);
    writeFileSync(full, text);
    written.push(full);
  }
  // Padded tables, as `biome ci` expects the repository's Markdown.
  const biome = spawnSync(
    process.execPath,
    [join(root, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', ...written],
    { cwd: root, encoding: 'utf8' },
  );
  if (biome.status !== 0) console.error(`biome format: ${biome.stderr || biome.stdout}`);
  for (const path of written) console.log(`wrote ${path}`);
  for (const block of kept) console.log(`kept ${block} (not in this run)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
