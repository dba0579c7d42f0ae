import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const CLI = join(import.meta.dirname, '../../cli/xinyi.ts');
const HEAP_PROBE = join(import.meta.dirname, 'heap-probe.ts');

export type DaemonLine = Record<string, unknown> & { msg?: string };

/**
 * One run of `xinyi gate --config FILE` as a child process: its JSON log lines are written to
 * `logFile` as they come and handed to `onLine` parsed; stderr goes to `logFile.stderr`.
 */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly incarnation: number;
  readonly startedAt = Date.now();
  url = '';
  /** Set when the soak killed it (SIGKILL or SIGTERM), so its exit is expected. */
  killedWith: NodeJS.Signals | undefined;
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null | undefined;
  readonly exited: Promise<void>;
  stderrText = '';
  readonly #log: WriteStream;
  readonly #stderr: WriteStream;
  #buffer = '';

  constructor(options: {
    configFile: string;
    incarnation: number;
    logFile: string;
    onLine: (line: DaemonLine, daemon: DaemonProcess) => void;
    onUnparsed: (text: string, daemon: DaemonProcess) => void;
    /** Live heap after a full GC (bytes), reported by the heap probe every few seconds. */
    onHeap: (heapUsedBytes: number, daemon: DaemonProcess, spaces: Record<string, number>) => void;
  }) {
    this.incarnation = options.incarnation;
    this.#log = createWriteStream(options.logFile);
    this.#stderr = createWriteStream(`${options.logFile}.stderr`);
    this.child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--import', HEAP_PROBE, CLI, 'gate', '--config', options.configFile],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, XINYI_SOAK_PROBE_FD: '3' },
      },
    );
    let probeBuffer = '';
    const probe = this.child.stdio[3] as NodeJS.ReadableStream;
    probe.on('data', (chunk: Buffer) => {
      probeBuffer += chunk.toString('utf8');
      let nl = probeBuffer.indexOf('\n');
      while (nl !== -1) {
        const text = probeBuffer.slice(0, nl);
        probeBuffer = probeBuffer.slice(nl + 1);
        try {
          const probed = JSON.parse(text) as { heapUsed: number; spaces?: Record<string, number> };
          options.onHeap(probed.heapUsed, this, probed.spaces ?? {});
        } catch {}
        nl = probeBuffer.indexOf('\n');
      }
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.#log.write(chunk);
      this.#buffer += chunk.toString('utf8');
      let nl = this.#buffer.indexOf('\n');
      while (nl !== -1) {
        const text = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        let line: DaemonLine | undefined;
        try {
          line = JSON.parse(text) as DaemonLine;
        } catch {
          options.onUnparsed(text, this);
        }
        if (line !== undefined) {
          if (line.msg === 'gate daemon started') this.url = String(line.http);
          options.onLine(line, this);
        }
        nl = this.#buffer.indexOf('\n');
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr.write(chunk);
      // Kept bounded: only the tail is reported.
      this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-4_000);
    });
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        // The pipes may still hold the last lines: close the files once they are drained.
        const end = () => {
          this.#log.end();
          this.#stderr.end();
          resolve();
        };
        if (this.child.stdout!.readableEnded) end();
        else this.child.stdout!.once('end', end);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined && this.killedWith === undefined;
  }

  kill(signal: NodeJS.Signals): void {
    this.killedWith = signal;
    this.child.kill(signal);
  }

  /** Resident set size (kB) and open file descriptors, read from /proc; undefined once it is gone. */
  resources(): { rssKb: number; fds: number } | undefined {
    const pid = this.child.pid;
    if (pid === undefined || !this.running) return undefined;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      const fds = readdirSync(`/proc/${pid}/fd`).length;
      return rss ? { rssKb: Number(rss[1]), fds } : undefined;
    } catch {
      return undefined;
    }
  }
}

const ownGc: (() => void) | undefined = (() => {
  // The soak's own live heap, measured the same way as the daemon's: after a full collection.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** The soak process's live heap after a full GC, in bytes. */
export function ownLiveHeap(): number {
  ownGc?.();
  return process.memoryUsage().heapUsed;
}

/** The soak process's own resident set size (kB) and open file descriptors. */
export function ownResources(): { rssKb: number; fds: number } {
  return {
    rssKb: Math.round(process.memoryUsage.rss() / 1024),
    fds: readdirSync('/proc/self/fd').length,
  };
}
