// The published benchmark tables are generated blocks: these pin how a block is replaced, how the
// soak's rewrite of docs/reliability.md keeps the benches' block, and how rounds are summarised.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchResult, figure, summarize } from '../../bench/harness.js';
import type { BenchRun } from '../../bench/run-all.js';
import { blockNames, carryBlocksOver, replaceBlock } from '../../scripts/bench-docs/blocks.js';
import { regenerate } from '../../scripts/bench-docs.js';

const root = join(import.meta.dirname, '..', '..');

describe('generated blocks', () => {
  const doc =
    'intro\n\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\n\nmiddle\n<!-- bench:b -->\nold b\n<!-- /bench:b -->\nend\n';

  it('replaces the body of one block and leaves the rest of the file as it was', () => {
    const out = replaceBlock(doc, 'b', '| new | table |');
    expect(out).toBe(
      'intro\n\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\n\nmiddle\n<!-- bench:b -->\n| new | table |\n<!-- /bench:b -->\nend\n',
    );
    expect(replaceBlock(replaceBlock(out, 'b', 'again'), 'b', '| new | table |')).toBe(out);
    expect(() => replaceBlock(doc, 'c', 'x')).toThrow('no <!-- bench:c --> block');
  });

  it('carries the blocks a regenerated file lacks over from the previous one', () => {
    const fresh = '# Reliability\n\nsoak tables\n<!-- bench:a -->\nnew a\n<!-- /bench:a -->\n';
    const out = carryBlocksOver(doc, fresh);
    expect(blockNames(out)).toEqual(['a', 'b']);
    expect(out).toContain('new a');
    expect(out).not.toContain('old a');
    expect(out.endsWith('<!-- bench:b -->\nold b\n<!-- /bench:b -->\n')).toBe(true);
    expect(carryBlocksOver('no blocks', fresh)).toBe(fresh);
  });

  it('every file the generator writes has the blocks it fills', () => {
    const expected: Record<string, string[]> = {
      'docs/benchmarks.md': ['all'],
      'docs/journal.md': ['journal', 'upload', 'backlog', 'journal-chain'],
      'docs/policy-packs.md': ['pack-size'],
      'docs/reliability.md': ['costs', 'costs-backlog'],
      'docs/scanners.md': ['zxing-blackbox', 'camera', 'camera-source'],
      'docs/id-card-readers.md': ['id-card-reader'],
      'docs/gates.md': ['gate-counts', 'site-state'],
      'docs/platform-api.md': ['signed-answers'],
      'docs/serve.md': ['serve'],
      'docs/credit-codes.md': ['credit-code'],
      'README.md': ['figures'],
    };
    for (const [file, names] of Object.entries(expected)) {
      expect(blockNames(readFileSync(join(root, file), 'utf8')), file).toEqual(names);
    }
  });
});

describe('rounds', () => {
  it('summarises rounds as min, median and max, the median of an even count being the mean of the middle two', () => {
    expect(summarize([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5, rounds: 3 });
    expect(summarize([4, 1, 3, 10])).toEqual({ min: 1, median: 3.5, max: 10, rounds: 4 });
    expect(() => summarize([])).toThrow();
  });

  it('gives a figure its baseline and the ratio of the medians', () => {
    const f = figure('x.y', 'label', 'µs', summarize([10, 12, 11]), {
      label: 'direct',
      ...summarize([8, 10]),
    });
    expect(f).toMatchObject({ id: 'x.y', median: 11, baseline: { label: 'direct', median: 9 } });
    expect(f.ratio).toBeCloseTo(11 / 9, 10);
  });
});

describe('a run of some benches (--only)', () => {
  const gateCounts: BenchResult = {
    bench: 'gate-counts',
    title: 'gate counts under test',
    figures: [figure('gate-counts.test.persons', 'persons counted', 'persons', summarize([16, 16]))],
    notes: ['a note of this run'],
  };
  const run = (only: string[] | undefined): BenchRun => ({
    command: 'npm run bench -- --only gate-counts',
    startedAt: '2026-12-07T18:00:00.000Z',
    finishedAt: '2026-12-07T18:01:00.000Z',
    machine: {
      node: 'v20',
      platform: 'linux x64',
      cpuModel: 'cpu',
      cores: 2,
      memoryGiB: 8,
      loadBefore: [1, 1, 1],
      loadAfter: [1, 1, 1],
    },
    results: [gateCounts],
    ...(only === undefined ? {} : { only }),
  });
  const read = (path: string) => readFileSync(join(root, path), 'utf8');

  it('rewrites the blocks of the benches it ran and keeps every other block as it was', () => {
    const { texts, kept } = regenerate(run(['gate-counts']), read);
    const gates = texts.get('docs/gates.md')!;
    expect(gates).toContain('gate counts under test');
    expect(gates).toContain('- a note of this run');
    // The command a reader can run again: one `--` before the bench's own options.
    expect(gates).toContain('`npm run bench -- --only gate-counts --json FILE`');
    expect(gates.replace(/<!-- bench:gate-counts -->[\s\S]*<!-- \/bench:gate-counts -->/, '')).toBe(
      read('docs/gates.md').replace(/<!-- bench:gate-counts -->[\s\S]*<!-- \/bench:gate-counts -->/, ''),
    );
    for (const path of ['docs/benchmarks.md', 'README.md', 'docs/scanners.md', 'docs/journal.md'])
      expect(texts.get(path), path).toBe(read(path));
    expect(kept).toContain('docs/benchmarks.md all');
    expect(kept).toContain('README.md figures');
    expect(kept).toContain('docs/serve.md serve');
    expect(kept).not.toContain('docs/gates.md gate-counts');
  });

  it('a run of the site-state bench alone rewrites its block in docs/gates.md and keeps the gate counts', () => {
    const siteState: BenchResult = {
      bench: 'site-state',
      title: 'site state under test',
      figures: [
        figure('site-state.redis-p99', 'decision latency, redis, p99', 'ms', summarize([3])),
        figure('site-state.lanes-8-decisions-per-s', '8 lanes: decisions/s', '/s', summarize([900])),
      ],
      notes: ['a site-state note'],
    };
    const { texts, kept } = regenerate(
      { ...run(['site-state']), command: 'npm run bench -- --only site-state', results: [siteState] },
      read,
    );
    const gates = texts.get('docs/gates.md')!;
    const block = (text: string, name: string) =>
      /<!-- bench:([a-z-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g.exec(
        text.slice(text.indexOf(`<!-- bench:${name} -->`)),
      )?.[0] ?? '';
    expect(block(gates, 'site-state')).toContain('site state under test');
    expect(block(gates, 'site-state')).toContain('| 8 lanes: decisions/s |');
    expect(block(gates, 'site-state')).toContain('`npm run bench -- --only site-state --json FILE`');
    expect(block(gates, 'gate-counts')).toBe(block(read('docs/gates.md'), 'gate-counts'));
    expect(kept).toContain('docs/gates.md gate-counts');
    expect(kept).not.toContain('docs/gates.md site-state');
  });

  it('a file that says it ran every bench but lacks one is an error', () => {
    expect(() => regenerate(run(undefined), read)).toThrow('the file has no');
  });
});
