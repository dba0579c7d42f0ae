import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XinyiError } from '../sdk/errors.js';
import { retryLoop } from '../sdk/retry/retry-loop.js';
import { killOnExit } from './child-reaper.js';
import { findOnPath } from './pty.js';

/**
 * Real `redis-server` and `redis-sentinel` processes on free loopback ports, for tests, benches and
 * simulations (Debian's `redis-server` and `redis-sentinel` packages). Nothing here talks to Redis
 * beyond a PING on a raw socket and the few commands a failover needs, so it works without ioredis.
 */

export interface RedisServerOptions {
  /** Data folder (the append-only file lives here). @default a fresh temporary folder, removed on stop */
  dir?: string;
  /** `appendonly yes`: writes are logged, so a restart keeps them. @default true */
  appendOnly?: boolean;
  /** `always`: a SIGKILL loses no acknowledged write; `everysec`: at most a second's. @default 'always' */
  appendFsync?: 'always' | 'everysec';
  /** Make this server a replica of another. */
  replicaOf?: { host: string; port: number };
  /** Loopback port. @default a free one */
  port?: number;
  /** `cluster-enabled yes` (its node file in `dir`): a node for `startRedisCluster`. @default false */
  clusterNode?: boolean;
}

export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly dir: string;
  /** Whether the process is running. */
  readonly running: boolean;
  /** SIGKILL: an outage or a crash, nothing flushed beyond what the append-only file already holds. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and folder (after `kill()`), and waits for it to answer. */
  restart(): Promise<void>;
  /** Stops it for good and removes the temporary folder it made. */
  stop(): Promise<void>;
}

export interface RedisCluster {
  /** The primaries, each serving a third (or 1/N) of the slots. */
  readonly nodes: readonly RedisServer[];
  /** Their addresses, as seed nodes for a cluster client. */
  readonly seeds: readonly { host: string; port: number }[];
  /** Stops every node and removes the folder. */
  stop(): Promise<void>;
}

export interface RedisSentinelGroup {
  readonly primary: RedisServer;
  readonly replica: RedisServer;
  /** The sentinels' addresses (three). */
  readonly sentinels: readonly { host: string; port: number }[];
  /** The monitored primary's name. */
  readonly name: string;
  /** The address the sentinels currently give for the primary. */
  currentPrimary(): Promise<{ host: string; port: number }>;
  /** Stops every process and removes the folder. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** True when the `redis-server` executable is installed. */
export function isRedisServerAvailable(): boolean {
  return findOnPath('redis-server') !== undefined;
}

/** True when `redis-sentinel` (or `redis-server --sentinel`) can run sentinels. */
export function isRedisSentinelAvailable(): boolean {
  return findOnPath('redis-sentinel') !== undefined;
}

/** A loopback port nobody listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command on a raw socket and resolves with its reply: a line (`+PONG`, `-ERR …`), or a whole bulk string. */
export function redisCommand(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from 127.0.0.1:${port}`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd === -1) return;
      // A bulk string (`$N`, INFO's answer) is whole once its N bytes are in; other replies, at the line end.
      const bulk = /^\$(\d+)$/.exec(buffer.slice(0, lineEnd));
      if (bulk && Buffer.byteLength(buffer.slice(lineEnd + 2)) < Number(bulk[1]) + 2) return;
      clearTimeout(timer);
      socket.end();
      resolve(buffer);
    });
    socket.write(`${command}\r\n`);
  });
}

async function waitForPong(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new XinyiError('DEVICE_NOT_FOUND', `redis exited before it answered: ${log().slice(-400)}`);
    }
    try {
      if ((await redisCommand(port, 'PING', 500)).startsWith('+PONG')) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new XinyiError('DEVICE_TIMEOUT', `redis on port ${port} did not answer: ${log().slice(-400)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function spawnRedis(executable: string, args: string[]): { child: ChildProcess; log: () => string } {
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  killOnExit(child);
  return { child, log: () => output };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `redis-server` on a free loopback port (no disk snapshots; an append-only file unless told
 * otherwise) and resolves once it answers PING. Rejects with `SYSTEM_PROGRAM_UNAVAILABLE` when redis-server is
 * not installed, `DEVICE_NOT_FOUND` when it exits, `DEVICE_TIMEOUT` when it does not answer within 10 s.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const executable = findOnPath('redis-server');
  if (!executable) {
    throw new XinyiError(
      'SYSTEM_PROGRAM_UNAVAILABLE',
      'redis-server is not installed: apt-get install redis-server',
      {
        details: { program: 'redis-server' },
      },
    );
  }
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'xinyi-redis-'));
  mkdirSync(dir, { recursive: true });
  let port = options.port ?? (await freeLoopbackPort());
  const args = () => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly === false ? 'no' : 'yes',
    '--appendfsync',
    options.appendFsync ?? 'always',
    '--protected-mode',
    'yes',
    '--logfile',
    '',
    ...(options.replicaOf ? ['--replicaof', options.replicaOf.host, String(options.replicaOf.port)] : []),
    ...(options.clusterNode
      ? [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '2000',
        ]
      : []),
  ];
  let current: { child: ChildProcess; log: () => string } | undefined;
  const launch = async () => {
    current = spawnRedis(executable, args());
    await waitForPong(port, current.child, current.log);
  };
  // Another program may take the free port between the probe and the bind: try a few, on a new port.
  try {
    await retryLoop(
      async (attempt) => {
        if (attempt > 1) port = await freeLoopbackPort();
        await launch();
      },
      {
        decide: ({ attempt }) => ({
          retry:
            attempt < 4 &&
            options.port === undefined &&
            current?.log().includes('Address already in use') === true,
          delayMs: 0,
        }),
      },
    );
  } catch (error) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    dir,
    get running() {
      return current !== undefined && current.child.exitCode === null && current.child.signalCode === null;
    },
    async kill() {
      if (!current) return;
      current.child.kill('SIGKILL');
      await exited(current.child);
    },
    async restart() {
      if (stopped) throw new XinyiError('CLOSED', 'this redis-server was stopped');
      if (current) await exited(current.child);
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (current) {
        current.child.kill('SIGTERM');
        const timer = setTimeout(() => current?.child.kill('SIGKILL'), 3_000);
        await exited(current.child);
        clearTimeout(timer);
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One primary, one replica and three sentinels, all on loopback, with a short `down-after-milliseconds`
 * (1 s) so a failover takes a few seconds. Resolves once every sentinel knows the replica and the other
 * sentinels (a failover can then be agreed on).
 */
export async function startRedisSentinelGroup(options: { name?: string } = {}): Promise<RedisSentinelGroup> {
  const sentinelExecutable = findOnPath('redis-sentinel') ?? findOnPath('redis-server');
  if (!sentinelExecutable || !findOnPath('redis-sentinel')) {
    throw new XinyiError(
      'DEVICE_NOT_FOUND',
      'redis-sentinel is not installed: apt-get install redis-sentinel',
    );
  }
  const name = options.name ?? 'xinyi-site';
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-sentinel-'));
  const primary = await startRedisServer({ dir: join(dir, 'primary') });
  const replica = await startRedisServer({ dir: join(dir, 'replica'), replicaOf: primary });
  const sentinels: { host: string; port: number; child: ChildProcess }[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freeLoopbackPort();
      const file = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const { child, log } = spawnRedis(sentinelExecutable, [file]);
      await waitForPong(port, child, log);
      sentinels.push({ host: '127.0.0.1', port, child });
    }
    const until = Date.now() + 30_000;
    for (;;) {
      const views = await Promise.all(
        sentinels.map(async (s) => ({
          replicas: await redisCommand(s.port, `SENTINEL REPLICAS ${name}`),
          others: await redisCommand(s.port, `SENTINEL SENTINELS ${name}`),
        })),
      );
      const ready = views.every(
        (v) => v.replicas.includes(String(replica.port)) && (v.others.match(/\*\d+/g)?.[0] ?? '*0') === '*2',
      );
      if (ready) break;
      if (Date.now() > until) throw new XinyiError('DEVICE_TIMEOUT', 'the sentinels did not find each other');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    for (const s of sentinels) s.child.kill('SIGKILL');
    await Promise.all([primary.stop(), replica.stop()]);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    primary,
    replica,
    name,
    sentinels: sentinels.map(({ host, port }) => ({ host, port })),
    async currentPrimary() {
      for (const s of sentinels) {
        try {
          const reply = await redisCommand(s.port, `SENTINEL GET-MASTER-ADDR-BY-NAME ${name}`);
          const [, host, port] = /\$\d+\r\n([^\r]+)\r\n\$\d+\r\n(\d+)/.exec(reply) ?? [];
          if (host && port) return { host, port: Number(port) };
        } catch {
          // Ask the next sentinel.
        }
      }
      throw new XinyiError('DEVICE_TIMEOUT', 'no sentinel named the primary');
    },
    async stop() {
      for (const s of sentinels) s.child.kill('SIGTERM');
      await Promise.all(sentinels.map((s) => exited(s.child)));
      await Promise.all([primary.stop(), replica.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const CLUSTER_SLOTS = 16_384;
/** A loaded machine may take seconds to answer a cluster command: nothing here is timed. */
const CLUSTER_COMMAND_TIMEOUT_MS = 10_000;

/**
 * A Redis Cluster of `primaries` nodes (no replicas) on loopback: the slots split evenly among them
 * (`CLUSTER ADDSLOTSRANGE`), the nodes introduced to each other (`CLUSTER MEET`), and resolved once
 * every node reports `cluster_state:ok` with all of them known.
 */
export async function startRedisCluster(options: { primaries?: number } = {}): Promise<RedisCluster> {
  const count = options.primaries ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    throw new XinyiError('INVALID_OPTIONS', 'primaries must be a whole number from 1 to 16');
  }
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-cluster-'));
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  const expectOk = async (port: number, command: string) => {
    const reply = await redisCommand(port, command, CLUSTER_COMMAND_TIMEOUT_MS);
    if (!reply.startsWith('+OK')) throw new XinyiError('DEVICE_TIMEOUT', `${command}: ${reply.trim()}`);
  };
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startRedisServer({ dir: join(dir, `node-${i}`), clusterNode: true, appendFsync: 'everysec' }),
      );
    }
    for (const [i, node] of nodes.entries()) {
      const first = Math.floor((CLUSTER_SLOTS * i) / count);
      const last = Math.floor((CLUSTER_SLOTS * (i + 1)) / count) - 1;
      await expectOk(node.port, `CLUSTER ADDSLOTSRANGE ${first} ${last}`);
    }
    for (const node of nodes.slice(1)) await expectOk(nodes[0]!.port, `CLUSTER MEET 127.0.0.1 ${node.port}`);
    const until = Date.now() + 60_000;
    for (;;) {
      const infos = await Promise.all(
        nodes.map((n) => redisCommand(n.port, 'CLUSTER INFO', CLUSTER_COMMAND_TIMEOUT_MS)),
      );
      const ready = infos.every(
        (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}\r\n`),
      );
      if (ready) break;
      if (Date.now() > until) throw new XinyiError('DEVICE_TIMEOUT', 'the cluster nodes did not agree');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    seeds: nodes.map((n) => ({ host: n.host, port: n.port })),
    stop,
  };
}
