// `xinyi` from a checkout (`npm run xinyi --`, the sources through tsx) imports a command's module only
// when that command runs: the help and a wrong command line load none of them, nor the SDK's index, the
// simulator or the adapters behind them. A module-resolution hook records every source file the child
// process loads.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { xinyiInvocation } from '../../cli/usage.js';
import { root, runNode } from './run-node.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-lazy-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;

const RECORDER = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.startsWith('file:')) appendFileSync(file, resolved.url + '\\n');
  return resolved;
}`;

/** The repository's own files `node --import tsx cli/xinyi.ts ARGS` loads, relative to the root. */
async function loadedBy(
  args: string[],
): Promise<{ files: string[]; packages: string[]; stdout: string; stderr: string }> {
  const file = join(dir, `loaded-${++runs}.txt`);
  const register = `import { register } from 'node:module'; register(${JSON.stringify(
    `data:text/javascript,${encodeURIComponent(RECORDER)}`,
  )}, import.meta.url, { data: { file: ${JSON.stringify(file)} } });`;
  const run = await runNode([
    '--import',
    'tsx',
    '--import',
    `data:text/javascript,${encodeURIComponent(register)}`,
    'cli/xinyi.ts',
    ...args,
  ]);
  const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const files = [...new Set(urls.map((url) => relative(root, fileURLToPath(url))))].filter(
    (path) => !path.startsWith('node_modules/') && !path.startsWith('..'),
  );
  const packages = [
    ...new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? [])),
  ];
  return { files, packages, stdout: run.stdout, stderr: run.stderr };
}

describe('the xinyi command line loads a command only when it runs', () => {
  it('--help, help COMMAND, COMMAND --help and an unknown command load no command module', async () => {
    for (const args of [
      ['--help'],
      ['help', 'gate'],
      ['sim', '--help'],
      ['serve', '--help'],
      ['frobnicate'],
    ]) {
      const { files, stdout, stderr } = await loadedBy(args);
      expect(stdout + stderr, args.join(' ')).toMatch(/xinyi/);
      expect(files, args.join(' ')).toContain('cli/xinyi.ts');
      expect(
        files.filter((f) => /-command\.ts$|^(simulator|adapters)\/|^sdk\/index\.ts$/.test(f)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('a command loads its own module and not the others', async () => {
    const { files, stdout } = await loadedBy([
      'journal',
      'verify',
      '--db',
      join(dir, 'none.sqlite'),
      '--json',
    ]);
    expect(stdout + files.join()).toContain('journal-command.ts');
    expect(files.filter((f) => f.endsWith('-command.ts'))).toEqual(['cli/journal-command.ts']);
  });

  it('doctor loads neither the service of xinyi serve nor its WebSocket server unless the configuration is one', async () => {
    // A configuration that cannot be read: doctor's module and everything it imports at the top are
    // loaded, and nothing a serve configuration alone would need.
    const { files, packages, stdout, stderr } = await loadedBy([
      'doctor',
      '--config',
      join(dir, 'none.json'),
    ]);
    expect(stdout + stderr).toMatch(/none\.json/);
    expect(files).toContain('cli/doctor-command.ts');
    expect(files).toContain('cli/serve/api-token.ts');
    expect(
      files.filter((f) => /^cli\/serve\/(?!api-token\.ts$)|^cli\/gate\/terminal-host\.ts$/.test(f)),
    ).toEqual([]);
    expect(packages).not.toContain('ws');
  });
});

describe('the hints name the way the reader runs xinyi', () => {
  it('from a checkout (the TypeScript sources): npm run xinyi --; installed: xinyi', async () => {
    expect(xinyiInvocation('/src/xinyi-terminal/cli/xinyi.ts')).toBe('npm run xinyi --');
    expect(xinyiInvocation('/usr/lib/node_modules/xinyi-terminal/dist/cli/xinyi.js')).toBe('xinyi');
    expect(xinyiInvocation('/usr/bin/xinyi')).toBe('xinyi');
    const { stderr } = await loadedBy(['frobnicate']);
    expect(stderr.trim()).toBe("xinyi: unknown command 'frobnicate' (see: npm run xinyi -- --help)");
  });
});
