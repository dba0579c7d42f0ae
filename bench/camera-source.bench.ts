// `node --import tsx bench/camera-source.bench.ts` (also in `npm run bench`): the camera path at
// 1280×720 as a gate runs it: MJPEG frames (what a USB camera sends) decoded by ffmpeg into gray frames
// on a pipe (FfmpegFrameSource), each one decoded by zxing-wasm. Figures: frames per second sustained
// and CPU per frame (this process and ffmpeg) against the camera's own 30 fps budget (33.3 ms per
// frame), and each half alone (ffmpeg without decoding, decoding frames already in memory), the three
// paths in alternating rounds.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createZxingWasmDecoder, FfmpegFrameSource, type FrameDecoder } from '../adapters/camera/index.js';
import { generateCameraFrame } from '../simulator/camera/index.js';
import { type BenchResult, type Figure, figure, runAlone, single, summarize } from './harness.js';
import { fmt } from './stats.js';

const WIDTH = 1280;
const HEIGHT = 720;
const BUDGET_MS = 1000 / 30;
const FRAMES = 90;
const ROUNDS = 5;

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

/** CPU milliseconds a process has used so far (Linux /proc), or undefined when it is gone. */
function processCpuMs(pid: number | undefined, ticks: number): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
  } catch {
    return undefined;
  }
}

async function encodeVideo(path: string): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < FRAMES; i++) {
    // One frame in six holds a credit code (someone at the gate), the rest are the empty scene.
    const variant = i % 6 === 0 ? 'clean' : 'empty-clutter';
    frames.push(
      (await generateCameraFrame({ seed: `source-${i}`, width: WIDTH, height: HEIGHT, variant })).frame
        .data as Uint8Array,
    );
  }
  await new Promise<void>((resolve, reject) => {
    const ffmpeg = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray'],
        ...[
          '-s',
          `${WIDTH}x${HEIGHT}`,
          '-r',
          '30',
          '-i',
          'pipe:0',
          '-c:v',
          'mjpeg',
          '-q:v',
          '4',
          '-pix_fmt',
          'yuvj422p',
          path,
        ],
      ],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    ffmpeg.on('error', reject);
    ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
    for (const frame of frames) ffmpeg.stdin.write(frame);
    ffmpeg.stdin.end();
  });
  return frames;
}

interface Pass {
  frames: number;
  ms: number;
  nodeCpuMs: number;
  ffmpegCpuMs: number;
}

async function throughSource(video: string, decoder: FrameDecoder | undefined, ticks: number): Promise<Pass> {
  const source = new FfmpegFrameSource({ input: video, width: WIDTH, height: HEIGHT });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let frames = 0;
  let ffmpegCpuMs = 0;
  for await (const frame of source) {
    if (decoder !== undefined) await decoder.decode(frame);
    frames++;
    ffmpegCpuMs = processCpuMs(source.pid, ticks) ?? ffmpegCpuMs;
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { frames, ms, nodeCpuMs: (used.user + used.system) / 1000, ffmpegCpuMs };
}

async function fromMemory(frames: readonly Uint8Array[], decoder: FrameDecoder): Promise<Pass> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const data of frames) await decoder.decode({ width: WIDTH, height: HEIGHT, format: 'gray', data });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { frames: frames.length, ms, nodeCpuMs: (used.user + used.system) / 1000, ffmpegCpuMs: 0 };
}

const PATHS = [
  ['both', 'ffmpeg source + zxing-wasm decode'],
  ['source-only', 'ffmpeg source alone'],
  ['decode-only', 'zxing-wasm decode alone (frames in memory)'],
] as const;

export async function runCameraSourceBench(): Promise<BenchResult> {
  const title = `camera source at ${WIDTH}×${HEIGHT}: MJPEG → ffmpeg → gray frames on a pipe → zxing-wasm`;
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  } catch {
    return {
      bench: 'camera-source',
      title,
      figures: [],
      notes: ['skipped: ffmpeg is not installed (apt-get install ffmpeg)'],
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-source-bench-'));
  const video = join(dir, 'gate.avi');
  const ticks = clockTicksPerSecond();
  const passes: Record<(typeof PATHS)[number][0], Pass[]> = {
    both: [],
    'source-only': [],
    'decode-only': [],
  };
  try {
    const frames = await encodeVideo(video);
    const decoder = await createZxingWasmDecoder();
    try {
      // Warm-up: the wasm module, ffmpeg's binary in the page cache.
      await throughSource(video, decoder, ticks);
      for (let round = 0; round < ROUNDS; round++) {
        passes.both.push(await throughSource(video, decoder, ticks));
        passes['source-only'].push(await throughSource(video, undefined, ticks));
        passes['decode-only'].push(await fromMemory(frames, decoder));
      }
    } finally {
      decoder.close?.();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fps = (key: keyof typeof passes) => summarize(passes[key].map((p) => (1000 * p.frames) / p.ms));
  const cpu = (key: keyof typeof passes, of: (p: Pass) => number) =>
    summarize(passes[key].map((p) => of(p) / p.frames));
  const budget = { label: "a 30 fps camera's frame interval", ...single(BUDGET_MS) };
  const figures: Figure[] = [];
  for (const [key, label] of PATHS) {
    figures.push(
      figure(
        `camera-source.${key}.fps`,
        `${label}: frames/s`,
        'frames/s',
        fps(key),
        key === 'both' ? { label: 'ffmpeg source alone', ...fps('source-only') } : undefined,
      ),
      figure(
        `camera-source.${key}.cpu`,
        `${label}: CPU per frame, node + ffmpeg`,
        'ms',
        cpu(key, (p) => p.nodeCpuMs + p.ffmpegCpuMs),
        budget,
      ),
    );
    if (key !== 'decode-only')
      figures.push(
        figure(
          `camera-source.${key}.cpu-ffmpeg`,
          `${label}: of which ffmpeg`,
          'ms',
          cpu(key, (p) => p.ffmpegCpuMs),
        ),
      );
  }
  const sustained = fps('both').median;
  return {
    bench: 'camera-source',
    title,
    figures,
    notes: [
      `an MJPEG video of ${FRAMES} generated frames, one in six with a credit code, every frame decoded; ` +
        `${ROUNDS} rounds after a warm-up, the three paths in turn in each round`,
      `CPU: this process's user + system time and ffmpeg's (/proc/PID/stat) per frame; ratio = share of a frame at 30 fps`,
      `sustained ${fmt(sustained, 0)} frames/s with every frame decoded: ${fmt(sustained / 30, 1)}× a 30 fps camera ` +
        '(CameraScanner drops frames that arrive during a decode, so a slower host decodes fewer, never queues)',
    ],
  };
}

await runAlone(import.meta.url, runCameraSourceBench);
