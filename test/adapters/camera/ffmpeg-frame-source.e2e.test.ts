// FfmpegFrameSource end to end with the real ffmpeg (Debian package): generated QR frames are encoded
// into an MJPEG video file (as a USB camera sends MJPEG), read back through the same source a V4L2
// camera goes through (ffmpeg → raw gray frames on a pipe) and decoded by CameraScanner.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CameraScanner,
  createZxingWasmDecoder,
  FfmpegFrameSource,
  type FfmpegFrameSourceState,
  type FrameDecoder,
} from '../../../adapters/camera/index.js';
import type { XinyiError } from '../../../sdk/errors.js';
import { generateCameraFrame } from '../../../simulator/camera/index.js';

function hasFfmpeg(): boolean {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const missing = hasFfmpeg() ? undefined : 'ffmpeg is not installed: apt-get install ffmpeg';
if (missing && process.env.XINYI_REQUIRE_FFMPEG === '1') {
  throw new Error(`XINYI_REQUIRE_FFMPEG=1 but ${missing}`);
}

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 10;
const PAYLOADS = ['QZ1:FIRST-CODE-0001', 'MEMBER-2024-000217', 'QZ1:THIRD-CODE-0003'];

/** Encodes gray frames into a video file with ffmpeg (MJPEG in AVI, quality 3). */
function encodeVideo(path: string, frames: Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const ffmpeg = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-y'],
        ...[
          '-f',
          'rawvideo',
          '-pix_fmt',
          'gray',
          '-s',
          `${WIDTH}x${HEIGHT}`,
          '-r',
          String(FPS),
          '-i',
          'pipe:0',
        ],
        ...['-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p', path],
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    ffmpeg.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    ffmpeg.on('error', reject);
    ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}: ${stderr}`))));
    for (const frame of frames) ffmpeg.stdin.write(frame);
    ffmpeg.stdin.end();
  });
}

describe.skipIf(missing !== undefined)(`FfmpegFrameSource${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-ffmpeg-'));
  const video = join(dir, 'codes.avi');
  const short = join(dir, 'short.avi');
  let decoder: FrameDecoder;

  beforeAll(async () => {
    const frames: Uint8Array[] = [];
    const empty = (
      await generateCameraFrame({ seed: 'ffmpeg', width: WIDTH, height: HEIGHT, variant: 'empty-flat' })
    ).frame.data as Uint8Array;
    for (const [i, payload] of PAYLOADS.entries()) {
      const { frame } = await generateCameraFrame({
        seed: `ffmpeg-${i}`,
        width: WIDTH,
        height: HEIGHT,
        payload,
        modulePx: 6,
      });
      for (let n = 0; n < 6; n++) frames.push(frame.data as Uint8Array);
      for (let n = 0; n < 4; n++) frames.push(empty);
    }
    await encodeVideo(video, frames);
    await encodeVideo(short, frames.slice(0, 6));
    decoder = await createZxingWasmDecoder();
  });
  afterAll(() => {
    decoder?.close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a video file frame by frame into CameraScanner: every code once, in order', async () => {
    const source = new FfmpegFrameSource({ input: video, width: WIDTH, height: HEIGHT, realtime: true });
    const scanner = new CameraScanner({ decoder, goneAfterMs: 0, goneAfterFrames: 1, rateLimit: false });
    const texts: string[] = [];
    scanner.on('scan', (scan) => texts.push(scan.text));
    expect(source.ffmpegArgs).toEqual(expect.arrayContaining(['-re', '-pix_fmt', 'gray', 'pipe:1']));
    await scanner.run(source);
    expect(texts).toEqual(PAYLOADS);
    expect(source.stats.frames).toBe(30);
    expect(source.state).toBe('closed');
    expect(scanner.stats.decoded).toBeGreaterThan(20);
  });

  it('scales to the size asked for', async () => {
    const source = new FfmpegFrameSource({ input: short, width: 320, height: 240 });
    for await (const frame of source) {
      expect([frame.width, frame.height, frame.format, frame.data.length]).toEqual([
        320,
        240,
        'gray',
        320 * 240,
      ]);
    }
    expect(source.stats.frames).toBe(6);
  });

  it('restarts ffmpeg with backoff when it dies, and the frames go on', async () => {
    const source = new FfmpegFrameSource({
      input: video,
      width: WIDTH,
      height: HEIGHT,
      realtime: true,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    const states: FfmpegFrameSourceState[] = [];
    const errors: XinyiError[] = [];
    source.on('state', (state) => states.push(state));
    source.on('warning', (error) => errors.push(error));
    let killed = false;
    let framesAfter = 0;
    for await (const _frame of source) {
      if (!killed && source.stats.frames >= 3) {
        killed = true;
        process.kill(source.pid!, 'SIGKILL');
      } else if (killed && source.stats.restarts > 0 && ++framesAfter >= 3) break;
    }
    expect(errors[0]).toMatchObject({ code: 'DEVICE_DISCONNECTED', details: { signal: 'SIGKILL' } });
    expect(states).toEqual(['starting', 'running', 'restarting', 'running', 'closed']);
    expect(source.stats.restarts).toBe(1);
  });

  it("onExit 'restart' plays a file again at its end, as a camera that comes back", async () => {
    const source = new FfmpegFrameSource({
      input: short,
      width: WIDTH,
      height: HEIGHT,
      onExit: 'restart',
      reconnect: { initialDelayMs: 10 },
    });
    for await (const _frame of source) if (source.stats.frames >= 14) break;
    expect(source.stats.restarts).toBeGreaterThanOrEqual(2);
  });

  it('no ffmpeg: SYSTEM_PROGRAM_UNAVAILABLE; no camera: DEVICE_NOT_FOUND, both at the first frame', async () => {
    const noFfmpeg = new FfmpegFrameSource({ input: '/dev/video0', ffmpegPath: join(dir, 'no-ffmpeg') });
    await expect(noFfmpeg[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'SYSTEM_PROGRAM_UNAVAILABLE',
      message: expect.stringContaining('apt-get install ffmpeg'),
    });
    const noCamera = new FfmpegFrameSource({ input: '/dev/video-xinyi-none' });
    expect(noCamera.ffmpegArgs.slice(4, 6)).toEqual(['-f', 'v4l2']);
    await expect(noCamera[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(noCamera.state).toBe('closed');
  });

  it('rejects bad options with INVALID_OPTIONS naming them', () => {
    for (const [options, option] of [
      [{ input: '' }, 'input'],
      [{ input: '/dev/video0', width: 0 }, 'width'],
      [{ input: '/dev/video0', frameRate: 1.5 }, 'frameRate'],
      [{ input: '/dev/video0', pixelFormat: 'mjpeg; rm -rf /' }, 'pixelFormat'],
      [{ input: '/dev/video0', onExit: 'loop' }, 'onExit'],
    ] as const) {
      expect(() => new FfmpegFrameSource(options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', details: { option } }),
      );
    }
  });
});
