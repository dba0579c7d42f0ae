import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';

/**
 * SQLite's WAL checkpoints on a connection of their own, in a worker thread.
 *
 * A checkpoint copies the write-ahead log into the database file and ends with an fsync of that file.
 * Left to SQLite, it runs inside whichever commit fills the log past 1,000 pages, on the caller's
 * thread: for a terminal that is the event loop, and on a busy disk that one fsync stalled a gate lane
 * for tens of milliseconds (bench/backlog.bench.ts, docs/journal.md §11). Here the terminal's own
 * connection turns automatic checkpoints off and a second connection in a worker thread checkpoints
 * (PASSIVE: it never waits for, nor blocks, the terminal's writers) every `intervalMs`.
 * SQLite documents checkpointing from another connection as the way to keep it off a writer's path
 * (https://www.sqlite.org/wal.html#application_initiated_checkpoints).
 */
export interface WalCheckpointer {
  /**
   * Runs a checkpoint now, off this thread: `log` frames were in the log and `checkpointed` of them
   * are in the database file. Undefined when the worker has stopped.
   */
  checkpointNow(): Promise<{ log: number; checkpointed: number } | undefined>;
  /**
   * Stops the worker and closes its connection before returning (waits at most `closeTimeoutMs`),
   * so that the terminal's connection, closed next, is the last one and removes the log as usual.
   */
  close(): void;
}

export interface WalCheckpointerOptions {
  path: string;
  /** Period of the checkpoints. */
  intervalMs: number;
  busyTimeoutMs: number;
  logger: Logger;
  /** Called when the worker stops on its own (it could not open the file, or died): checkpoint inline again. */
  onFailure(reason: string): void;
  /** Longest wait in `close()` for the worker to close its connection. @default 2000 */
  closeTimeoutMs?: number;
}

// The worker's program: CommonJS run by `eval`, so the package needs no separate worker file in each
// of its builds. It reports its state through a shared Int32: 1 open, 2 closed, 3 failed.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
const settle = (value) => { Atomics.store(state, 0, value); Atomics.notify(state, 0); };
const codeOf = (error) => String((error && error.code) || (error && error.message) || error);
let db;
try {
  const Database = require(workerData.driverPath);
  db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
  db.pragma('synchronous = FULL');
} catch (error) {
  settle(3);
  parentPort.postMessage({ failed: codeOf(error) });
  db = undefined;
}
if (db !== undefined) {
  settle(1);
  parentPort.postMessage({ ready: true });
  const checkpoint = () => {
    try {
      return db.pragma('wal_checkpoint(PASSIVE)')[0];
    } catch (error) {
      parentPort.postMessage({ checkpointError: codeOf(error) });
      return undefined;
    }
  };
  const timer = setInterval(checkpoint, workerData.intervalMs);
  parentPort.on('message', (message) => {
    if (message !== null && typeof message === 'object' && typeof message.checkpoint === 'number') {
      const result = checkpoint();
      parentPort.postMessage({
        checkpointed: message.checkpoint,
        result: result === undefined ? undefined : { log: result.log, checkpointed: result.checkpointed },
      });
      return;
    }
    if (message !== 'close') return;
    clearInterval(timer);
    try { db.close(); } catch {}
    settle(2);
    parentPort.close();
  });
}
`;

/**
 * Starts the checkpointing worker; returns undefined (and the caller keeps SQLite's own automatic
 * checkpoints) when better-sqlite3 cannot be located for a worker or the worker cannot open the file.
 */
export async function startWalCheckpointer(
  options: WalCheckpointerOptions,
): Promise<WalCheckpointer | undefined> {
  let driverPath: string;
  try {
    driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return undefined;
  }
  const state = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driverPath,
        path: options.path,
        intervalMs: options.intervalMs,
        busyTimeoutMs: options.busyTimeoutMs,
        state: state.buffer,
      },
    });
  } catch {
    return undefined;
  }
  // The terminal's connection keeps SQLite's own checkpoints if the worker cannot open the file.
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    const settle = (ok: boolean) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onError);
      resolve(ok);
    };
    const onMessage = (message: { ready?: boolean; failed?: string }) => {
      if (message.ready === true) settle(true);
      else if (message.failed !== undefined) settle(false);
    };
    const onError = () => settle(false);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onError);
  });
  if (!ready) {
    void worker.terminate();
    return undefined;
  }
  worker.unref();
  let closing = false;
  type Outcome = { log: number; checkpointed: number } | undefined;
  const asked = new Map<number, (outcome: Outcome) => void>();
  let nextAsk = 0;
  worker.on('message', (message: { checkpointError?: string; checkpointed?: number; result?: Outcome }) => {
    if (message.checkpointError !== undefined) {
      options.logger.warn(
        { code: message.checkpointError },
        'journal checkpoint failed; the next one retries',
      );
    }
    if (message.checkpointed !== undefined) {
      const resolve = asked.get(message.checkpointed);
      asked.delete(message.checkpointed);
      if (asked.size === 0) worker.unref();
      resolve?.(message.result);
    }
  });
  const settleAsked = () => {
    for (const resolve of asked.values()) resolve(undefined);
    asked.clear();
    worker.unref();
  };
  const fail = (reason: string) => {
    settleAsked();
    if (closing) return;
    closing = true;
    options.logger.error({ reason }, 'journal checkpoint worker stopped; checkpoints run inline again');
    options.onFailure(reason);
  };
  worker.on('error', (error) => fail(error.message));
  worker.on('exit', (code) => fail(`exit ${code}`));
  return {
    checkpointNow() {
      if (closing) return Promise.resolve(undefined);
      const id = nextAsk++;
      return new Promise<Outcome>((resolve) => {
        // Referenced while an answer is awaited, so that the process does not exit under the waiter.
        if (asked.size === 0) worker.ref();
        asked.set(id, resolve);
        worker.postMessage({ checkpoint: id });
      });
    },
    close() {
      settleAsked();
      if (closing) return;
      closing = true;
      worker.postMessage('close');
      Atomics.wait(state, 0, 1, options.closeTimeoutMs ?? 2_000);
      if (Atomics.load(state, 0) !== 2) void worker.terminate();
    },
  };
}
