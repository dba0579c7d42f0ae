import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type RedisServer, startRedisServer } from '../../simulator/redis-server.js';
import { redisSkipReason } from '../sdk/site/redis-fixture.js';
import { root, runNode } from './run-node.js';

// `xinyi sim --site DIR --lanes N [--redis URL]` lays out a site for N daemons, and `xinyi gate --check`
// on each lane's configuration reaches the site store they share.
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}
const redisSkip = redisSkipReason();

let sim: ChildProcessWithoutNullStreams | undefined;
let output = '';
const dirs: string[] = [];
afterEach(async () => {
  if (sim && sim.exitCode === null) {
    sim.stdin.write('quit\n');
    await new Promise((done) => sim!.once('exit', done));
  }
  sim = undefined;
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function startSim(args: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-sim-lanes-'));
  dirs.push(dir);
  output = '';
  sim = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'cli/xinyi.ts',
      'sim',
      '--site',
      dir,
      '--platform-port',
      '0',
      '--http-port',
      '0',
      ...args,
    ],
    { cwd: root },
  );
  sim.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  sim.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const until = Date.now() + 60_000;
  while (!/now run:[^\n]*gate\.json/.test(output)) {
    if (sim.exitCode !== null || Date.now() > until) throw new Error(`xinyi sim did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return dir;
}

const config = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));

describe.skipIf(!socat)('xinyi sim --site DIR --lanes N', () => {
  it('writes one configuration per lane, sharing DIR/site.sqlite, the last lane the exit', async () => {
    const dir = await startSim(['--lanes', '3']);
    const lanes = ['gate.json', 'gate-2.json', 'gate-3.json'].map((f) => config(dir, f));
    expect(lanes.map((c) => c.terminalId)).toEqual([
      'gate-yunmenshan-01',
      'gate-yunmenshan-02',
      'gate-yunmenshan-03',
    ]);
    expect(lanes.map((c) => c.lane)).toEqual([
      { direction: 'entry', antiPassback: true },
      { direction: 'entry', antiPassback: true },
      { direction: 'exit', antiPassback: true },
    ]);
    for (const c of lanes) expect(c.site).toEqual({ sqlite: join(dir, 'site.sqlite') });
    expect(new Set(lanes.map((c) => c.devices.gate.link.serial.path)).size).toBe(3);
    expect(new Set(lanes.map((c) => c.dataDir)).size).toBe(3);
    expect(output).toContain(`site store     ${join(dir, 'site.sqlite')}`);
    const check = await runNode([
      '--import',
      'tsx',
      'cli/xinyi.ts',
      'gate',
      '--config',
      join(dir, 'gate-2.json'),
      '--check',
    ]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/site store sqlite .*site\.sqlite: answers in [\d.]+ ms, version 3\./);
    sim!.stdin.write('tap 99 2\nscreenshot 2\n');
    const until = Date.now() + 10_000;
    while (!(output.includes('no person 99') && output.includes('no code was shown yet'))) {
      if (Date.now() > until) throw new Error(output);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 120_000);

  describe.skipIf(redisSkip !== undefined)(
    `with --redis${redisSkip ? ` (skipped: ${redisSkip})` : ''}`,
    () => {
      let redis: RedisServer;
      beforeAll(async () => {
        redis = await startRedisServer();
      });
      afterAll(async () => {
        await redis?.stop();
      });

      it('points every lane at the Redis under the site prefix; gate --check reaches it', async () => {
        const dir = await startSim(['--lanes', '2', '--redis', redis.url]);
        for (const file of ['gate.json', 'gate-2.json']) {
          expect(config(dir, file).site).toEqual({
            redis: { url: redis.url },
            keyPrefix: 'xinyi:yunmenshan:',
          });
        }
        const check = await runNode([
          '--import',
          'tsx',
          'cli/xinyi.ts',
          'gate',
          '--config',
          join(dir, 'gate.json'),
          '--check',
        ]);
        expect(check.code, check.stdout + check.stderr).toBe(0);
        expect(check.stdout).toMatch(
          /site store redis 127\.0\.0\.1:\d+ \(xinyi:yunmenshan:\): answers in [\d.]+ ms, version \d/,
        );
      }, 120_000);

      it('gate --check exits 1 when the site store does not answer', async () => {
        const dir = await startSim(['--lanes', '2', '--redis', 'redis://127.0.0.1:9']);
        const check = await runNode([
          '--import',
          'tsx',
          'cli/xinyi.ts',
          'gate',
          '--config',
          join(dir, 'gate.json'),
          '--check',
        ]);
        expect(check.code).toBe(1);
        expect(check.stdout).toMatch(/problem: site store redis 127\.0\.0\.1:9 .* is not reachable/);
      }, 120_000);
    },
  );

  it('refuses --lanes out of range and --redis that is not a Redis URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-sim-lanes-bad-'));
    dirs.push(dir);
    for (const args of [
      ['--lanes', '0'],
      ['--lanes', '17'],
      ['--redis', 'http://127.0.0.1:6379'],
    ]) {
      const run = await runNode(['--import', 'tsx', 'cli/xinyi.ts', 'sim', '--site', dir, ...args]);
      expect(run.code, run.stderr).not.toBe(0);
      expect(run.stderr).toMatch(/--lanes|--redis/);
    }
  }, 60_000);
});
