// The `xinyi` command line contract: help for every command, exit code 2 with one line for a wrong
// command line, exit code 1 with `xinyi: CODE: reason` for work that failed. The tests run one after
// another: run together, each CLI start waited behind all the others and outran its timeout on a busy
// machine. Every test starts the bin as a process, so the file is in the e2e project.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runXinyi } from './run-xinyi.js';

const COMMANDS = [
  'demo',
  'sim',
  'gate',
  'serve',
  'doctor',
  'devices',
  'snapshot',
  'calendar',
  'policy',
] as const;
const dir = mkdtempSync(join(tmpdir(), 'xinyi-help-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line on stderr, nothing else. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('xinyi help', () => {
  it('lists every command, how to get help, and the exit codes', async () => {
    const [long, bare, help] = await Promise.all([runXinyi(['--help']), runXinyi([]), runXinyi(['help'])]);
    for (const run of [long, bare, help]) {
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(long.stdout);
    }
    for (const command of COMMANDS) expect(long.stdout).toContain(`\n  xinyi ${command}`);
    expect(long.stdout).toContain('xinyi snapshot apply FILE --db PATH --public-key PEMFILE');
    expect(long.stdout).toContain('xinyi help [COMMAND] | xinyi COMMAND --help');
    expect(long.stdout).toMatch(/Exit codes: 0 .*; 1 .*\n.*; 2 the command line is wrong/);
  });

  for (const command of COMMANDS) {
    it(`xinyi help ${command} and xinyi ${command} --help print its usage`, async () => {
      const runs = await Promise.all([
        runXinyi(['help', command]),
        runXinyi([command, command === 'devices' ? '-h' : '--help']),
      ]);
      for (const run of runs) {
        expect(run.code).toBe(0);
        expect(run.stderr).toBe('');
        expect(run.stdout.startsWith(`Usage:\n  xinyi ${command}`)).toBe(true);
        expect(run.stdout).toBe(runs[0]!.stdout);
      }
    });
  }
});

describe('a wrong command line: exit code 2 and one line', () => {
  it('an unknown command', async () => {
    const run = await runXinyi(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(oneLine(run.stderr)).toBe("xinyi: unknown command 'frobnicate' (see: xinyi --help)");
  });

  it('help for an unknown command, and an unknown option before any command', async () => {
    const [help, option] = await Promise.all([runXinyi(['help', 'frobnicate']), runXinyi(['--frobnicate'])]);
    expect(help.code).toBe(2);
    expect(oneLine(help.stderr)).toBe("xinyi: unknown command 'frobnicate' (see: xinyi --help)");
    expect(option.code).toBe(2);
    expect(oneLine(option.stderr)).toBe("xinyi: unknown option '--frobnicate' (see: xinyi --help)");
  });

  for (const command of COMMANDS) {
    it(`an unknown flag to ${command}`, async () => {
      const args = command === 'snapshot' ? ['snapshot', 'apply', '--frobnicate'] : [command, '--frobnicate'];
      const run = await runXinyi(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(oneLine(run.stderr)).toBe(
        `xinyi ${command}: unknown option '--frobnicate' (see: xinyi help ${command})`,
      );
    });
  }

  it('a missing required argument', async () => {
    const runs = await Promise.all([
      runXinyi(['gate']),
      runXinyi(['doctor']),
      runXinyi(['sim']),
      runXinyi(['snapshot', 'apply', 'x.snap', '--db', join(dir, 'x.sqlite')]),
      runXinyi(['gate', '--config']),
    ]);
    expect(runs.map((r) => [r.code, oneLine(r.stderr)])).toEqual([
      [2, 'xinyi gate: --config FILE is required (see: xinyi help gate)'],
      [2, 'xinyi doctor: --config FILE is required (see: xinyi help doctor)'],
      [2, 'xinyi sim: give --pty, --tcp PORT or both, or --site DIR (see: xinyi help sim)'],
      [2, 'xinyi snapshot: --public-key PEMFILE is required (see: xinyi help snapshot)'],
      [2, "xinyi gate: option '-c, --config <value>' argument missing (see: xinyi help gate)"],
    ]);
  });
});

describe('work that fails: exit code 1 and `xinyi: CODE: reason`', () => {
  it('a gate configuration that is not JSON', async () => {
    const file = join(dir, 'broken-gate.json');
    writeFileSync(file, '{ not json');
    const run = await runXinyi(['gate', '--config', file, '--check']);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toMatch(/^xinyi: CONFIG_INVALID: \S/);
  });

  it('a snapshot database that does not exist', async () => {
    const db = join(dir, 'missing', 'snapshot.sqlite');
    const run = await runXinyi(['snapshot', 'info', '--db', db]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toBe(`xinyi: STORE_UNAVAILABLE: no snapshot database at ${db}`);
  });

  it('a file that cannot be read', async () => {
    const missing = join(dir, 'no-such.pem');
    const run = await runXinyi(['snapshot', 'apply', 'x.snap', '--db', 'x', '--public-key', missing]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toBe(`xinyi: ENOENT: no such file or directory, open '${missing}'`);
  });
});
