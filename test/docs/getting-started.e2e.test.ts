// docs/getting-started.md, followed literally: the command blocks it marks for CI are run in order,
// each in `bash -e` from the repository root, as a reader would type them.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const page = readFileSync(resolve(root, 'docs/getting-started.md'), 'utf8');

/** The page promises a decision within five minutes; the commands get four, the reading the rest. */
const BUDGET_MS = 240_000;

interface MarkedBlock {
  /**
   * `run`: CI runs it; `install`: CI runs it unless node_modules exists; `same-as FILE`: the file's
   * text; `output`: what the last command prints.
   */
  marker: string;
  language: string;
  body: string;
  line: number;
}

/** Every fenced block whose previous line is `<!-- ci: … -->`, in page order. */
function markedBlocks(markdown: string): MarkedBlock[] {
  const lines = markdown.split('\n');
  const blocks: MarkedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!-- ci: (.+?) -->$/.exec(lines[i]!.trim());
    if (!marker) continue;
    const fence = /^```(\w*)$/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`line ${i + 1}: a ci marker must be followed by a fenced block`);
    const end = lines.indexOf('```', i + 2);
    if (end === -1) throw new Error(`line ${i + 2}: unterminated fenced block`);
    blocks.push({
      marker: marker[1]!,
      language: fence[1]!,
      body: lines.slice(i + 2, end).join('\n'),
      line: i + 2,
    });
  }
  return blocks;
}

interface ShellRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A reader's shell: the test runner's own variables left out. */
function readerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('VITEST') || key === 'NODE_ENV' || key === 'TEST') continue;
    env[key] = value;
  }
  return env;
}

function runInBash(script: string, timeoutMs: number): Promise<ShellRun> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-e', '-c', script], {
      cwd: root,
      env: readerEnv(),
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', fail);
    child.once('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

const blocks = markedBlocks(page);
const commands = blocks.filter((b) => b.marker === 'run' || b.marker === 'install');
const installed = existsSync(resolve(root, 'node_modules'));

describe('docs/getting-started.md', () => {
  it('marks shell blocks for CI: node first, npm install, the demo, the first program last', () => {
    for (const block of commands) expect(block.language, `block at line ${block.line}`).toBe('sh');
    const bodies = commands.map((b) => b.body.trim());
    expect(bodies[0]).toMatch(/^node --version/);
    expect(commands.filter((b) => b.marker === 'install').map((b) => b.body.trim())).toEqual(['npm install']);
    expect(bodies).toContain('npm start');
    expect(bodies.at(-1)).toBe('npx tsx examples/first-decision/index.ts');
    const known = (marker: string) =>
      ['run', 'install', 'output'].includes(marker) || marker.startsWith('same-as ');
    expect(blocks.filter((b) => !known(b.marker)).map((b) => b.marker)).toEqual([]);
  });

  it('shows each program exactly as it is in the repository', () => {
    const copies = blocks.filter((b) => b.marker.startsWith('same-as '));
    expect(copies.map((b) => b.marker)).toEqual(['same-as examples/first-decision/index.ts']);
    for (const copy of copies) {
      const file = readFileSync(resolve(root, copy.marker.slice('same-as '.length)), 'utf8');
      expect(`${copy.body}\n`).toBe(file);
    }
  });

  it.skipIf(installed)(
    'installs the dependencies with the command the page gives (no node_modules yet)',
    async () => {
      for (const block of commands.filter((b) => b.marker === 'install')) {
        const run = await runInBash(block.body, BUDGET_MS);
        expect(run.code, `${block.body}\n${run.stderr}`).toBe(0);
      }
    },
    BUDGET_MS + 10_000,
  );

  it(
    'runs every marked command in order from the repository root, each exiting 0, and prints a decision',
    async () => {
      const deadline = Date.now() + BUDGET_MS;
      let last: ShellRun | undefined;
      for (const block of commands.filter((b) => b.marker === 'run')) {
        const remaining = deadline - Date.now();
        expect(remaining, `no time left for the block at line ${block.line}`).toBeGreaterThan(0);
        last = await runInBash(block.body, remaining);
        expect(last.signal, `the block at line ${block.line} was stopped: over the time budget`).toBeNull();
        expect(last.code, `block at line ${block.line}:\n${block.body}\n${last.stderr}`).toBe(0);
      }
      expect(last?.stdout).toMatch(/^decision: (granted|denied|unavailable): /m);
      // What the page says the first program prints is what it prints.
      const shown = blocks.filter((b) => b.marker === 'output').map((b) => b.body);
      expect(shown).toHaveLength(1);
      expect(last?.stdout).toBe(`${shown[0]}\n`);
    },
    BUDGET_MS + 10_000,
  );
});
