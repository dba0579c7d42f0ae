// `npm run check:package`: packs the package as npm would publish it and lints the tarball with publint
// (package.json fields against the files) and @arethetypeswrong/cli (every entry point's types under
// node10, node16 from CJS and ESM, and bundler resolution). Exit code 1 when either finds a problem.
// The packed-package test (test/package/consumer.e2e.test.ts) runs the same checks on its own tarball.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = resolve(import.meta.dirname, '..');
const execFileAsync = promisify(execFile);

export interface ToolReport {
  tool: 'publint' | 'attw';
  /** Errors and warnings: each one fails the check. */
  problems: string[];
  /** Suggestions: printed, not failing. */
  notes: string[];
}

/** publint over the tarball's files and package.json; warnings count as problems. */
export async function runPublint(tarball: string): Promise<ToolReport> {
  const bytes = readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  const text = (m: (typeof messages)[number]) =>
    `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`;
  return {
    tool: 'publint',
    problems: messages.filter((m) => m.type !== 'suggestion').map(text),
    notes: messages.filter((m) => m.type === 'suggestion').map(text),
  };
}

interface AttwProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
}

/** attw over the tarball with its default (strict) profile: node10, node16 CJS and ESM, bundler. */
export async function runAttw(tarball: string): Promise<ToolReport> {
  const bin = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(process.execPath, [bin, tarball, '--format', 'json'], {
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (error) {
    // attw exits 1 when it finds problems and still prints its analysis.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout.trimStart().startsWith('{')) throw error;
  }
  const { analysis } = JSON.parse(stdout) as { analysis: { problems?: AttwProblem[] } };
  return {
    tool: 'attw',
    problems: (analysis.problems ?? []).map(
      (p) =>
        `${p.kind}${p.entrypoint ? ` at "${p.entrypoint}"` : ''}${p.resolutionKind ? ` (${p.resolutionKind})` : ''}`,
    ),
    notes: [],
  };
}

export function checkTarball(tarball: string): Promise<ToolReport[]> {
  return Promise.all([runPublint(tarball), runAttw(tarball)]);
}

export function formatReports(reports: ToolReport[]): string {
  return reports
    .map(({ tool, problems, notes }) =>
      [
        `${tool}: ${problems.length === 0 ? 'clean' : `${problems.length} problem(s)`}`,
        ...problems.map((p) => `  ✗ ${p}`),
        ...notes.map((n) => `  · ${n}`),
      ].join('\n'),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-check-package-'));
  try {
    // Runs prepack (the build), as a publish would.
    const { stdout } = await execFileAsync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; size: number }[];
    console.log(`packed ${info!.filename}: ${(info!.size / 1024).toFixed(0)} KiB`);
    const reports = await checkTarball(join(dir, info!.filename));
    console.log(formatReports(reports));
    if (reports.some((r) => r.problems.length > 0)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
