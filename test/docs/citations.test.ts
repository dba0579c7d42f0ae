// The repository stands alone: what its code comments and docs cite is in the repository (a
// `docs/….md` page, a file path) or public, never a file of the workspace it was developed in.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const DIRS = ['adapters', 'bench', 'cli', 'docs', 'examples', 'scripts', 'sdk', 'simulator', 'test'];
const TOP = ['README.md', 'CHANGELOG.md', 'package.json', 'tsup.config.ts', 'vitest.config.ts'];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'api' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|mts|js|md|json|yaml|html|css)$/.test(name)) yield path;
  }
}

const sources = [...DIRS.flatMap((d) => [...files(join(root, d))]), ...TOP.map((f) => join(root, f))];
const self = resolve(import.meta.filename);

describe('citations', () => {
  it('no file cites the development workspace (../shared/, /work/) or its reference files by bare name', () => {
    const found: string[] = [];
    for (const path of sources) {
      if (path === self) continue;
      const text = readFileSync(path, 'utf8');
      for (const [i, line] of text.split('\n').entries()) {
        if (
          /\.\.\/shared\/|\/work\/shared|(?<![\w/])(hardware-protocols|terminal-sdk-anchors|style-anchors)\.md/.test(
            line,
          )
        )
          found.push(`${relative(root, path)}:${i + 1}: ${line.trim()}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('every docs/….md a comment or page names exists', () => {
    const missing: string[] = [];
    for (const path of sources) {
      const text = readFileSync(path, 'utf8');
      for (const match of text.matchAll(/(?<![\w./-])docs\/([\w-]+\.md)/g)) {
        if (!existsSync(join(root, 'docs', match[1]!)))
          missing.push(`${relative(root, path)}: docs/${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the protocol and domain pages keep the sections code comments cite', () => {
    const cited = new Map<string, Set<string>>();
    for (const path of sources) {
      const text = readFileSync(path, 'utf8');
      for (const match of text.matchAll(/(protocols|credit-domain|decoder-bench)\.md\)? §(\d+(?:\.\d+)?)/g)) {
        const page = `${match[1]}.md`;
        if (!cited.has(page)) cited.set(page, new Set());
        cited.get(page)!.add(match[2]!);
      }
    }
    expect([...cited.keys()].sort()).toEqual(['credit-domain.md', 'decoder-bench.md', 'protocols.md']);
    const absent: string[] = [];
    for (const [page, sections] of cited) {
      const headings = readFileSync(join(root, 'docs', page), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('#'));
      for (const section of sections) {
        if (!headings.some((h) => new RegExp(`^#+ ${section.replace('.', '\\.')}[. ]`).test(h)))
          absent.push(`${page} §${section}`);
      }
    }
    expect(absent).toEqual([]);
  });
});
