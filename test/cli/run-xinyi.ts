import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'tsup';
import { afterAll, beforeAll } from 'vitest';
import { type CliRun, root, runNode } from './run-node.js';

export { type CliRun, root } from './run-node.js';

// The CLI bundled from the sources the way tsup bundles the published bin: a child process then starts
// in a quarter of the time `--import tsx` takes. Under node_modules so that its bare imports resolve.
const outDir = join(root, 'node_modules/.cache/xinyi-cli-test', randomUUID());
let bundled: Promise<string> | undefined;
afterAll(() => rmSync(outDir, { recursive: true, force: true }));
// Bundling is set-up, timed by the hook timeout: on a busy machine it takes longer than a test's
// 20 s, and the tests of a file run concurrently behind it.
beforeAll(() => bundle().then(() => undefined));

function bundle(): Promise<string> {
  bundled ??= build({
    config: false,
    entry: { xinyi: join(root, 'cli/xinyi.ts') },
    format: ['esm'],
    outDir,
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: false,
    dts: false,
    silent: true,
  }).then(() => join(outDir, 'xinyi.js'));
  return bundled;
}

/** Runs `xinyi ARGS` built from the sources, in a child process, as an operator runs the installed bin. */
export async function runXinyi(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; stdin?: string; until?: 'close' | 'exit' } = {},
): Promise<CliRun> {
  const cli = await bundle();
  return runNode([...(options.nodeArgs ?? []), cli, ...args], {
    env: { NO_COLOR: '1', ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.until === undefined ? {} : { until: options.until }),
  });
}
