// Runs an example as a vendor would (`npx tsx examples/<name>/index.ts`) and checks what every
// example must hold to: exit 0, no raw personal data printed, no temporary files left behind.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { isValidResidentIdNumber } from '../../sdk/identity/index.js';
import type { SyntheticPerson } from '../../simulator/index.js';

const root = resolve(import.meta.dirname, '../..');

export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runExample(name: string): Promise<ExampleRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}/index.ts`], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Temporary directories with this prefix, for checking that an example removed its own. */
export function tempDirs(prefix: string): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((entry) => entry.startsWith(prefix)));
}

/**
 * Neither the people the example could have handled nor anyone else appears: no name, no ID number
 * (nor its middle digits, which a masked form never shows), and no valid resident ID number at all.
 */
export function expectNoPersonalData(
  output: string,
  people: readonly Pick<SyntheticPerson, 'idNumber' | 'name'>[],
): void {
  for (const person of people) {
    expect(output).not.toContain(person.idNumber);
    expect(output).not.toContain(person.idNumber.slice(1, 17));
    expect(output).not.toContain(person.name);
  }
  for (const candidate of output.match(/[1-9]\d{16}[\dXx]/g) ?? []) {
    expect(isValidResidentIdNumber(candidate)).toBe(false);
  }
}

/** The lines from the one starting with `header` up to the next blank line (or the end). */
export function section(output: string, header: string): string {
  const start = output.indexOf(`\n${header}`);
  expect(start, `no section "${header}" in:\n${output}`).toBeGreaterThanOrEqual(0);
  const end = output.indexOf('\n\n', start + 1);
  return output.slice(start + 1, end === -1 ? undefined : end).replace(/\n+$/, '');
}
