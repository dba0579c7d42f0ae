// The long fuzz run (`npm run fuzz`): every target of test/fuzz/targets.ts for 1,000,000 cases by
// default, each target in its own worker thread so that a hang can be stopped and located, and the
// heap measured per target. The CI runs the same targets briefly in test/fuzz/fuzz.test.ts.
//
//   npm run fuzz -- [--runs N] [--target NAME]… [--seed S] [--path P] [--jobs J] [--hang-seconds S] [--list]
//
// Exit status 1 when any target failed: a broken invariant, a case over the time limit, a hang, or
// heap growth over the limit. Each failure is printed with its counterexample, seed and path; rerun
// it with `--target NAME --seed S --path P`.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { CASE_TIME_LIMIT_MS, fuzzCase } from '../test/fuzz/harness.js';
import { FUZZ_TARGETS, findTarget } from '../test/fuzz/targets.js';

/** Heap growth (after a full GC, from the end of the warm-up to the end of the run) that fails a target. */
const HEAP_GROWTH_LIMIT_BYTES = 64 * 1024 * 1024;
const HEAP_SAMPLES = 20;
const PROGRESS_EVERY_MS = 1000;

interface WorkerJob {
  target: string;
  runs: number;
  seed: number;
  path?: string;
  /** Only print the input of case `path` (after a hang), do not run it. */
  showOnly?: boolean;
  /** [0] = index of the case running now, [1] = 1 once a case failed (fast-check is shrinking). */
  shared: SharedArrayBuffer;
}

interface TargetReport {
  target: string;
  cases: number;
  ms: number;
  heapSamples: Array<{ cases: number; bytes: number }>;
  failure?: { message: string; counterexample: string; seed: number; path?: string };
}

type WorkerMessage =
  | { type: 'progress'; cases: number }
  | { type: 'done'; report: TargetReport }
  | { type: 'input'; counterexample: string };

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  gc?.();
  return v8.getHeapStatistics().used_heap_size;
}

async function workerMain(job: WorkerJob): Promise<void> {
  const port = parentPort!;
  const target = findTarget(job.target);
  if (target === undefined) throw new Error(`unknown target ${job.target}`);
  await target.setup?.();
  const state = new Int32Array(job.shared);

  if (job.showOnly) {
    await fc.check(
      fc.asyncProperty(target.arbitrary, async (input) => {
        port.postMessage({ type: 'input', counterexample: fc.stringify(input) } satisfies WorkerMessage);
      }),
      { seed: job.seed, path: job.path, numRuns: 1, endOnFailure: true },
    );
    return;
  }

  let cases = 0;
  let lastProgress = performance.now();
  const sampleEvery = Math.max(1, Math.floor(job.runs / HEAP_SAMPLES));
  const heapSamples: TargetReport['heapSamples'] = [];
  const started = performance.now();
  const details = await fc.check(
    fc.asyncProperty(target.arbitrary, async (input) => {
      Atomics.store(state, 0, cases);
      cases++;
      try {
        await fuzzCase(target, input);
      } catch (error) {
        Atomics.store(state, 1, 1);
        throw error;
      }
      // fast-check chains the cases as microtasks: without a turn of the event loop, what Node
      // releases there (zlib frees a failed gunzipSync's handle on a later tick) would pile up and
      // read as a leak. A terminal's event loop turns between two inputs.
      if (cases % 256 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (cases % sampleEvery === 0) heapSamples.push({ cases, bytes: heapUsed() });
      if (cases % 256 === 0 && performance.now() - lastProgress > PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        port.postMessage({ type: 'progress', cases } satisfies WorkerMessage);
      }
    }),
    { seed: job.seed, numRuns: job.runs, ...(job.path === undefined ? {} : { path: job.path }) },
  );
  target.teardown?.();
  const report: TargetReport = {
    target: target.name,
    cases: details.numRuns,
    ms: performance.now() - started,
    heapSamples,
  };
  if (details.failed) {
    const error = details.errorInstance;
    report.failure = {
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      counterexample: details.counterexample === null ? '(none)' : fc.stringify(details.counterexample[0]),
      seed: details.seed,
      ...(details.counterexamplePath === null ? {} : { path: details.counterexamplePath }),
    };
  }
  port.postMessage({ type: 'done', report } satisfies WorkerMessage);
}

// ---------------------------------------------------------------------------------------------
// Main thread

/** Starts `scripts/fuzz.ts` itself as a worker, with tsx's loader registered inside it. */
function startWorker(job: WorkerJob): Worker {
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(
    import.meta.url,
  )}); })`;
  return new Worker(boot, { eval: true, workerData: job });
}

function runWorker(
  job: WorkerJob,
  hangMs: number,
  onProgress: (cases: number) => void,
): Promise<TargetReport | { hang: true; atCase: number; shrinking: boolean } | { crashed: string }> {
  return new Promise((resolve) => {
    const worker = startWorker(job);
    const state = new Int32Array(job.shared);
    let lastCase = -1;
    let lastChange = performance.now();
    let settled = false;
    const finish = (value: Awaited<ReturnType<typeof runWorker>>) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(value);
    };
    const watchdog = setInterval(() => {
      const now = Atomics.load(state, 0);
      if (now !== lastCase) {
        lastCase = now;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > hangMs) {
        finish({ hang: true, atCase: now, shrinking: Atomics.load(state, 1) === 1 });
        void worker.terminate();
      }
    }, 250);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.cases);
      else if (message.type === 'done') finish(message.report);
    });
    worker.on('error', (error) => finish({ crashed: error.stack ?? String(error) }));
    worker.on('exit', (code) => finish({ crashed: `worker exited with code ${code} before reporting` }));
  });
}

function showInput(target: string, seed: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const worker = startWorker({
      target,
      runs: 1,
      seed,
      path,
      showOnly: true,
      shared: new SharedArrayBuffer(8),
    });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'input') resolve(message.counterexample);
    });
    worker.on('error', (error) => resolve(`(could not regenerate the input: ${error.message})`));
    worker.on('exit', () => resolve('(could not regenerate the input)'));
  });
}

/** Least-squares slope of the heap samples, in bytes per 100,000 cases. */
function slopePer100k(samples: ReadonlyArray<{ cases: number; bytes: number }>): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((s, p) => s + p.cases, 0) / n;
  const my = samples.reduce((s, p) => s + p.bytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.cases - mx) * (p.bytes - my);
    den += (p.cases - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 100_000;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '1000000' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
      path: { type: 'string' },
      'hang-seconds': { type: 'string', default: '20' },
      jobs: { type: 'string', default: '1' },
      list: { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    for (const t of FUZZ_TARGETS) console.log(`${t.name.padEnd(26)} ${t.input}`);
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const seed = values.seed === undefined ? Date.now() ^ (process.pid << 8) : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  const hangMs = Number(values['hang-seconds']) * 1000;
  const names = (values.target ?? []).flatMap((t) => t.split(','));
  for (const name of names) {
    if (!findTarget(name)) throw new Error(`unknown target ${name}; --list shows them`);
  }
  const targets = names.length === 0 ? FUZZ_TARGETS : FUZZ_TARGETS.filter((t) => names.includes(t.name));
  // `gc` in the workers, so heap samples are taken after a full collection.
  v8.setFlagsFromString('--expose-gc');

  console.log(
    `fuzz: ${targets.length} target(s), ${runs.toLocaleString('en')} cases each, seed ${seed}, ` +
      `case limit ${CASE_TIME_LIMIT_MS} ms, heap growth limit ${mb(HEAP_GROWTH_LIMIT_BYTES)}`,
  );
  const jobs = Number(values.jobs);
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new Error('--jobs must be a positive integer');
  const rows = new Map<string, string>();
  let failures = 0;
  const allStarted = performance.now();
  const queue = [...targets];
  const progress = new Map<string, number>();
  const showProgress = () => {
    if (!process.stdout.isTTY) return;
    const text = [...progress].map(([name, cases]) => `${name}: ${cases.toLocaleString('en')}`).join(', ');
    process.stdout.write(`\r\x1b[K  ${text}…`);
  };
  const clearProgress = () => {
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
  };
  const runOne = async (target: (typeof targets)[number]): Promise<void> => {
    const started = performance.now();
    const job: WorkerJob = {
      target: target.name,
      runs,
      seed,
      ...(values.path === undefined ? {} : { path: values.path }),
      shared: new SharedArrayBuffer(8),
    };
    progress.set(target.name, 0);
    const outcome = await runWorker(job, hangMs, (cases) => {
      progress.set(target.name, cases);
      showProgress();
    });
    progress.delete(target.name);
    clearProgress();
    const seconds = (performance.now() - started) / 1000;
    if ('hang' in outcome) {
      failures++;
      const input = outcome.shrinking
        ? '(hung while shrinking a failure; rerun the seed to see it)'
        : await showInput(target.name, seed, String(outcome.atCase));
      console.log(`✗ ${target.name}: no case finished for ${hangMs / 1000} s (case ${outcome.atCase})`);
      console.log(`  input: ${input}`);
      console.log(`  rerun: npm run fuzz -- --target ${target.name} --seed ${seed} --path ${outcome.atCase}`);
      rows.set(
        target.name,
        `${target.name.padEnd(26)} ${'hang'.padStart(11)} ${seconds.toFixed(1).padStart(8)} s`,
      );
      return;
    }
    if ('crashed' in outcome) {
      failures++;
      console.log(`✗ ${target.name}: the worker crashed\n${outcome.crashed}`);
      rows.set(
        target.name,
        `${target.name.padEnd(26)} ${'crash'.padStart(11)} ${seconds.toFixed(1).padStart(8)} s`,
      );
      return;
    }
    const samples = outcome.heapSamples;
    // The first sample closes the warm-up (caches fill, code is optimised): growth is measured after it.
    const growth = samples.length >= 2 ? samples.at(-1)!.bytes - samples[0]!.bytes : 0;
    const slope = slopePer100k(samples.slice(1));
    const perCaseUs = (outcome.ms * 1000) / Math.max(1, outcome.cases);
    let verdict = 'ok';
    if (outcome.failure) {
      failures++;
      verdict = 'FAILED';
      console.log(`✗ ${target.name}: failed after ${outcome.cases.toLocaleString('en')} cases`);
      console.log(`  ${outcome.failure.message.split('\n').slice(0, 12).join('\n  ')}`);
      console.log(`  counterexample: ${outcome.failure.counterexample}`);
      console.log(
        `  rerun: npm run fuzz -- --target ${target.name} --seed ${outcome.failure.seed}` +
          (outcome.failure.path === undefined ? '' : ` --path ${outcome.failure.path}`),
      );
    } else if (growth > HEAP_GROWTH_LIMIT_BYTES) {
      failures++;
      verdict = 'HEAP';
      console.log(
        `✗ ${target.name}: heap grew ${mb(growth)} over the run (limit ${mb(HEAP_GROWTH_LIMIT_BYTES)})`,
      );
    }
    const line =
      `${target.name.padEnd(26)} ${outcome.cases.toLocaleString('en').padStart(11)} ` +
      `${seconds.toFixed(1).padStart(8)} s ${perCaseUs.toFixed(1).padStart(9)} µs/case ` +
      `heap ${mb(growth).padStart(9)} (${(slope / 1024).toFixed(1)} KB/100k cases) ${verdict}`;
    rows.set(target.name, line);
    console.log(`${verdict === 'ok' ? '✓' : '✗'} ${line}`);
  };
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runOne(next);
    }),
  );
  const total = (performance.now() - allStarted) / 1000;
  console.log(`\n${'target'.padEnd(26)} ${'cases'.padStart(11)} ${'time'.padStart(10)}`);
  for (const target of targets) console.log(rows.get(target.name));
  console.log(
    `\n${targets.length - failures}/${targets.length} targets passed in ${(total / 60).toFixed(1)} min (seed ${seed})`,
  );
  return failures === 0 ? 0 : 1;
}

if (isMainThread) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 2;
    },
  );
} else {
  workerMain(workerData as WorkerJob).catch((error: unknown) => {
    throw error;
  });
}
