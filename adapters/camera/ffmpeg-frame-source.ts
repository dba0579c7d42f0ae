import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import { type ReconnectPolicy, reconnectPolicy, reopenWithBackoff, Sleeper } from '../reconnect.js';
import type { CameraFrame } from './frame-decoder.js';

/** `starting` (ffmpeg spawned, no frame yet) → `running`; `restarting` after an exit; `closed`; `faulted` when restarts gave up. */
export type FfmpegFrameSourceState = 'idle' | 'starting' | 'running' | 'restarting' | 'closed' | 'faulted';

export interface FfmpegFrameSourceOptions {
  /**
   * What ffmpeg reads: a V4L2 camera (`/dev/video0`, `/dev/v4l/by-id/usb-…-video-index0`) or anything
   * else ffmpeg opens (a video file, an RTSP URL) with `inputFormat` set accordingly.
   */
  input: string;
  /**
   * ffmpeg's input format (`-f`): `'v4l2'` for a camera; `null` lets ffmpeg probe (a file).
   * @default 'v4l2' when `input` starts with `/dev/`, otherwise null
   */
  inputFormat?: string | null;
  /** Frame width handed to the decoder; asked of a V4L2 camera, and scaled to. @default 1280 */
  width?: number;
  /** @default 720 */
  height?: number;
  /** Frames per second asked of a V4L2 camera. @default 15 */
  frameRate?: number;
  /**
   * The camera's pixel format (`-input_format`): `'mjpeg'` lets most USB cameras give 1280×720 at
   * 15–30 fps over USB 2; `'yuyv422'` is uncompressed (often 5–10 fps at that size). Absent: the driver's choice.
   */
  pixelFormat?: string;
  /** Read a file at its own frame rate (`-re`), as a camera would deliver it. @default false */
  realtime?: boolean;
  /**
   * What an ffmpeg that exits means: `'restart'` (a camera unplugged, a driver hiccup: start it again
   * with backoff) or `'end'` (the end of a file: the frames end; a failure still restarts).
   * @default 'restart' for V4L2, 'end' otherwise
   */
  onExit?: 'restart' | 'end';
  /** Backoff between restarts (`maxAttempts: 0` retries for ever). */
  reconnect?: Partial<ReconnectPolicy>;
  /** How long ffmpeg may take to deliver its first frame before the start counts as failed. @default 10000 */
  startTimeoutMs?: number;
  /** Frames kept for a consumer that is behind; older ones are dropped (a live camera never queues). @default 2 */
  maxQueuedFrames?: number;
  /** @default 'ffmpeg' (Debian: `apt-get install ffmpeg`) */
  ffmpegPath?: string;
  /** Used in events and logs. @default 'camera' */
  name?: string;
  logger?: Logger;
}

export interface FfmpegFrameSourceStats {
  /** Frames read from ffmpeg. */
  frames: number;
  /** Frames dropped because the consumer was behind. */
  dropped: number;
  /** ffmpeg processes started after the first. */
  restarts: number;
}

export interface FfmpegFrameSourceEventMap {
  state: [state: FfmpegFrameSourceState, previous: FfmpegFrameSourceState];
  /**
   * ffmpeg exited or failed to start; the source restarts it (or ends, see `onExit`). Nothing needs to
   * listen; not `'error'`, which Node throws when unheard.
   */
  warning: [warning: XinyiError];
}

const STDERR_KEEP_BYTES = 2048;

function positiveInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new XinyiError('INVALID_OPTIONS', `FfmpegFrameSource: ${name} must be an integer 1..${max}`, {
      details: { option: name },
    });
  }
  return value;
}

/**
 * Gray camera frames from ffmpeg, for `CameraScanner.run(source)`: ffmpeg is spawned reading the
 * input (a V4L2 camera by default), scales to `width`×`height` and writes raw 8-bit gray frames on a
 * pipe; each `width`×`height` bytes is one frame. When ffmpeg exits it is started again with backoff
 * (the project's `reopenWithBackoff`), so an unplugged camera comes back by itself.
 *
 * Iterating starts ffmpeg; the first `next()` rejects with `SYSTEM_PROGRAM_UNAVAILABLE` when ffmpeg is
 * not installed and `DEVICE_NOT_FOUND` when the input cannot be opened (no such camera, permission
 * denied: see docs/scanners.md). One consumer at a time; `close()` stops ffmpeg and ends it.
 */
export class FfmpegFrameSource
  extends EventEmitter<FfmpegFrameSourceEventMap>
  implements AsyncIterable<CameraFrame>
{
  readonly name: string;
  readonly #options: Required<
    Pick<
      FfmpegFrameSourceOptions,
      'input' | 'width' | 'height' | 'frameRate' | 'realtime' | 'onExit' | 'ffmpegPath'
    >
  > & { inputFormat: string | null; pixelFormat: string | undefined };
  readonly #frameBytes: number;
  readonly #policy: ReconnectPolicy;
  readonly #startTimeoutMs: number;
  readonly #maxQueued: number;
  readonly #logger: Logger;
  readonly #sleeper = new Sleeper();
  readonly #queue: CameraFrame[] = [];
  #wake: (() => void) | undefined;
  #process: ChildProcess | undefined;
  #state: FfmpegFrameSourceState = 'idle';
  #iterating = false;
  /** Set when the frames end: the file ended, `close()`, or restarts gave up (then with the error). */
  #ended: { error?: XinyiError } | undefined;
  readonly #stats: FfmpegFrameSourceStats = { frames: 0, dropped: 0, restarts: 0 };

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: FfmpegFrameSourceOptions) {
    super();
    if (
      options === null ||
      typeof options !== 'object' ||
      typeof options.input !== 'string' ||
      options.input === ''
    ) {
      throw new XinyiError('INVALID_OPTIONS', 'FfmpegFrameSource: input must be a non-empty string', {
        details: { option: 'input' },
      });
    }
    const inputFormat =
      options.inputFormat === undefined
        ? options.input.startsWith('/dev/')
          ? 'v4l2'
          : null
        : options.inputFormat;
    if (inputFormat !== null && (typeof inputFormat !== 'string' || !/^[\w-]+$/.test(inputFormat))) {
      throw new XinyiError(
        'INVALID_OPTIONS',
        'FfmpegFrameSource: inputFormat must be an ffmpeg format name or null',
        {
          details: { option: 'inputFormat' },
        },
      );
    }
    if (options.pixelFormat !== undefined && !/^[\w-]+$/.test(options.pixelFormat)) {
      throw new XinyiError('INVALID_OPTIONS', 'FfmpegFrameSource: pixelFormat must be a pixel format name', {
        details: { option: 'pixelFormat' },
      });
    }
    const onExit = options.onExit ?? (inputFormat === 'v4l2' ? 'restart' : 'end');
    if (onExit !== 'restart' && onExit !== 'end') {
      throw new XinyiError('INVALID_OPTIONS', "FfmpegFrameSource: onExit must be 'restart' or 'end'", {
        details: { option: 'onExit' },
      });
    }
    this.#options = {
      input: options.input,
      inputFormat,
      pixelFormat: options.pixelFormat,
      width: positiveInteger('width', options.width, 1280, 8192),
      height: positiveInteger('height', options.height, 720, 8192),
      frameRate: positiveInteger('frameRate', options.frameRate, 15, 240),
      realtime: options.realtime ?? false,
      onExit,
      ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
    };
    this.#frameBytes = this.#options.width * this.#options.height;
    this.#policy = reconnectPolicy('FfmpegFrameSource', options.reconnect);
    this.#startTimeoutMs = positiveInteger('startTimeoutMs', options.startTimeoutMs, 10_000, 600_000);
    this.#maxQueued = positiveInteger('maxQueuedFrames', options.maxQueuedFrames, 2, 1000);
    this.name = options.name ?? 'camera';
    this.#logger = options.logger ?? silentLogger;
  }

  get state(): FfmpegFrameSourceState {
    return this.#state;
  }

  get stats(): FfmpegFrameSourceStats {
    return { ...this.#stats };
  }

  /** The running ffmpeg's process id, for diagnostics (`ps`, `/proc`); undefined when none runs. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** The ffmpeg arguments this source runs with (for logs and docs; the input path is in them). */
  get ffmpegArgs(): string[] {
    const o = this.#options;
    const input: string[] = [];
    if (o.inputFormat !== null) input.push('-f', o.inputFormat);
    if (o.inputFormat === 'v4l2') {
      input.push('-framerate', String(o.frameRate), '-video_size', `${o.width}x${o.height}`);
      if (o.pixelFormat !== undefined) input.push('-input_format', o.pixelFormat);
    }
    if (o.realtime) input.push('-re');
    return [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
      ...input,
      ...['-i', o.input],
      ...['-an', '-vf', `scale=${o.width}:${o.height},format=gray`],
      ...['-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
    ];
  }

  [Symbol.asyncIterator](): AsyncIterator<CameraFrame> {
    return this.#frames();
  }

  /** Stops ffmpeg and ends the frames. Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#ended ??= {};
    this.#sleeper.wakeAll();
    this.#stop();
    this.#wake?.();
  }

  async *#frames(): AsyncGenerator<CameraFrame> {
    if (this.#iterating)
      throw new XinyiError('INVALID_ARGUMENT', `${this.name}: the frames are already being read`);
    if (this.#state === 'closed') throw new XinyiError('CLOSED', `${this.name} is closed`);
    this.#iterating = true;
    try {
      this.#setState('starting');
      await this.#start();
      this.#setState('running');
      for (;;) {
        const frame = this.#queue.shift();
        if (frame !== undefined) {
          yield frame;
          continue;
        }
        if (this.#ended !== undefined) {
          if (this.#ended.error !== undefined) throw this.#ended.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    } finally {
      this.#iterating = false;
      this.close();
    }
  }

  /**
   * Spawns ffmpeg and resolves once its first frame arrived; rejects (ffmpeg killed) when it exits,
   * fails to spawn or stays silent for `startTimeoutMs` first.
   */
  #start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      let stderr = '';
      // Each byte is copied once, straight into the frame it belongs to.
      let frame = new Uint8Array(this.#frameBytes);
      let filled = 0;
      let child: ChildProcess;
      try {
        child = spawn(this.#options.ffmpegPath, this.ffmpegArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (cause) {
        reject(this.#startError(cause, ''));
        return;
      }
      this.#process = child;
      const timer = setTimeout(() => {
        if (started) return;
        child.kill('SIGKILL');
        reject(
          new XinyiError(
            'DEVICE_TIMEOUT',
            `${this.name}: ffmpeg gave no frame within ${this.#startTimeoutMs} ms`,
            {
              details: { timeoutMs: this.#startTimeoutMs },
            },
          ),
        );
      }, this.#startTimeoutMs);
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP_BYTES);
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        let at = 0;
        while (at < chunk.length) {
          const take = Math.min(chunk.length - at, this.#frameBytes - filled);
          frame.set(chunk.subarray(at, at + take), filled);
          filled += take;
          at += take;
          if (filled < this.#frameBytes) break;
          this.#enqueue({
            width: this.#options.width,
            height: this.#options.height,
            format: 'gray',
            data: frame,
          });
          frame = new Uint8Array(this.#frameBytes);
          filled = 0;
          if (!started) {
            started = true;
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.on('error', (cause) => {
        clearTimeout(timer);
        if (!started) reject(this.#startError(cause, stderr));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (this.#process === child) this.#process = undefined;
        if (!started) {
          reject(this.#startError(undefined, stderr, code, signal));
          return;
        }
        this.#exited(code, signal, stderr);
      });
    });
  }

  #enqueue(frame: CameraFrame): void {
    this.#stats.frames++;
    this.#queue.push(frame);
    while (this.#queue.length > this.#maxQueued) {
      this.#queue.shift();
      this.#stats.dropped++;
    }
    this.#wake?.();
  }

  /** ffmpeg exited after it had delivered frames: the end of a file, or a camera lost. */
  #exited(code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    if (this.#state === 'closed') return;
    if (code === 0 && this.#options.onExit === 'end') {
      this.#ended = {};
      this.#wake?.();
      return;
    }
    const error = new XinyiError(
      'DEVICE_DISCONNECTED',
      `${this.name}: ffmpeg exited (${signal ?? `code ${code}`})`,
      {
        details: { exitCode: code ?? -1, signal: signal ?? '', reason: lastLine(stderr) },
      },
    );
    this.#logger.warn(
      { device: this.name, code: error.code, exitCode: code, signal },
      'camera ffmpeg exited',
    );
    this.emit('warning', error);
    this.#setState('restarting');
    void reopenWithBackoff(
      async () => {
        await this.#start();
        this.#stats.restarts++;
      },
      this.#policy,
      (ms) => this.#sleeper.sleep(ms),
      () => this.#state === 'restarting',
      (attempt, failure) => {
        this.#logger.debug(
          { device: this.name, attempt, code: isXinyiError(failure) ? failure.code : 'unknown' },
          'camera ffmpeg restart failed',
        );
        if (isXinyiError(failure)) this.emit('warning', failure);
      },
    ).then((restarted) => {
      if (this.#state !== 'restarting') return;
      if (restarted) {
        this.#setState('running');
        return;
      }
      this.#setState('faulted');
      this.#ended = {
        error: new XinyiError('DEVICE_DISCONNECTED', `${this.name}: gave up restarting ffmpeg`),
      };
      this.#wake?.();
    });
  }

  #startError(
    cause: unknown,
    stderr: string,
    code?: number | null,
    signal?: NodeJS.Signals | null,
  ): XinyiError {
    if (isXinyiError(cause)) return cause;
    if ((cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      return new XinyiError(
        'SYSTEM_PROGRAM_UNAVAILABLE',
        `ffmpeg not found at ${this.#options.ffmpegPath}: install it (apt-get install ffmpeg) or set ffmpegPath`,
        { cause, details: { program: 'ffmpeg' } },
      );
    }
    const reason = lastLine(stderr);
    const missing =
      /No such file or directory|No such device|Cannot open video device|Permission denied|not found/i;
    if (missing.test(stderr)) {
      return new XinyiError(
        'DEVICE_NOT_FOUND',
        `${this.name}: ffmpeg cannot open ${this.#options.input}${/Permission denied/i.test(stderr) ? ' (permission denied: add the user to the video group)' : ''}`,
        { cause, details: { reason } },
      );
    }
    return new XinyiError(
      'DEVICE_NOT_FOUND',
      `${this.name}: ffmpeg stopped before its first frame (${signal ?? `code ${code}`})`,
      {
        cause,
        details: { reason, exitCode: code ?? -1 },
      },
    );
  }

  #stop(): void {
    const child = this.#process;
    this.#process = undefined;
    if (child !== undefined && child.exitCode === null) child.kill('SIGTERM');
  }

  #setState(next: FfmpegFrameSourceState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.emit('state', next, previous);
  }
}

/** ffmpeg's last stderr line, bounded: what went wrong, without frames or paths beyond the input's. */
function lastLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return (lines.at(-1) ?? '').slice(0, 200);
}
