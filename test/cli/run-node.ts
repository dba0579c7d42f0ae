import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node ARGS` from the project root in a child process and collects its output and exit code,
 * once its output is closed or, with `until: 'exit'`, as soon as it exits (a program whose children
 * may still hold its output open).
 */
export function runNode(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; until?: 'close' | 'exit' } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
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
    child.on(options.until ?? 'close', (code: number | null) => done({ code, stdout, stderr }));
  });
}
