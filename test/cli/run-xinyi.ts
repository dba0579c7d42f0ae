import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'tsup';
import { afterAll } from 'vitest';

export const root = resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The CLI bundled from the sources the way tsup bundles the published bin: a child process then starts
// in a quarter of the time `--import tsx` takes. Under node_modules so that its bare imports resolve.
const outDir = join(root, 'node_modules/.cache/xinyi-cli-test', randomUUID());
let bundled: Promise<string> | undefined;
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

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
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; stdin?: string } = {},
): Promise<CliRun> {
  const cli = await bundle();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), cli, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
