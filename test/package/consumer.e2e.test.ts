// Packs the package as npm would publish it (once), reviews the tarball, lints it with publint and attw,
// installs it without the optional native modules, and uses it from throw-away consumers: plain ESM,
// plain CommonJS, TypeScript with `moduleResolution` node16 (ESM and CJS files) and bundler. Each
// consumer imports every entry point and runs a decision on a synthetic citizen.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTarball, formatReports, type ToolReport } from '../../scripts/check-package.js';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'xinyi-consumer-'));
const execFileAsync = promisify(execFile);
const tsc = join(root, 'node_modules/typescript/bin/tsc');

// Asynchronous, so that a slow install does not block the test worker's event loop.
async function run(cmd: string, args: string[], cwd = work): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Exit code and output of a command that may fail on purpose. */
async function attempt(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, args, { cwd: work, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof code === 'number' ? code : -1, stdout: stdout ?? '', stderr: stderr ?? '' };
  }
}

function write(path: string, text: string): void {
  mkdirSync(join(work, path, '..'), { recursive: true });
  writeFileSync(join(work, path), text);
}

interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

let pack: PackInfo;
let lint: Promise<ToolReport[]>;

beforeAll(async () => {
  // Runs prepack (the build), as a publish would.
  const out = await run('npm', ['pack', '--json', '--pack-destination', work], root);
  [pack] = JSON.parse(out.slice(out.indexOf('['))) as [PackInfo];
  const tarball = join(work, pack.filename);
  lint = checkTarball(tarball);
  lint.catch(() => {}); // awaited by its test; not an unhandled rejection meanwhile
  write('package.json', JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  // --omit=optional: a machine where serialport, node-hid and better-sqlite3 are missing, which the core must not need.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', tarball]);
  mkdirSync(join(work, 'unpacked'));
  await run('tar', ['-xzf', tarball, '-C', join(work, 'unpacked')]);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships only the build, the README, the CHANGELOG, a licence and package.json', () => {
    const paths = pack.files.map((f) => f.path);
    console.log(
      `xinyi-terminal tarball: ${(pack.size / 1024).toFixed(0)} KiB packed, ${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${paths.length} files`,
    );
    const allowed =
      /^(dist\/.+\.(js|cjs|d\.ts|d\.cts)|dist\/panel-static\/[a-z-]+\.(html|css|js)|README\.md|CHANGELOG\.md|LICEN[CS]E(\.md)?|package\.json)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    // Named so that a change to "files" or the build that lets one in fails here with its name.
    const forbidden =
      /(^|\/)(test|tests|fixtures|__tests__|\.env[^/]*|.*\.(pem|key|p12|sqlite\d?|db|map|tgz|tsbuildinfo|test\.[cm]?[jt]s))$/;
    expect(paths.filter((p) => forbidden.test(p))).toEqual([]);
    expect(paths).toContain('CHANGELOG.md');

    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      bin: Record<string, string>;
    };
    // Every file "exports" and "bin" point at (the values, not the subpath keys).
    const leaves = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : Object.values(value as object).flatMap(leaves);
    const targets = [...leaves(manifest.exports), ...leaves(manifest.bin)]
      .map((t) => t.replace(/^\.\//, ''))
      .filter((t) => t !== 'package.json');
    expect(targets).toHaveLength(17);
    for (const target of targets) expect(paths).toContain(target);
    // The zxing wasm comes from the zxing-wasm dependency at run time; a copy in dist doubles the package.
    expect(pack.size).toBeLessThan(1_200_000);
  });

  it('ships no private key, whatever the file', () => {
    const unpacked = join(work, 'unpacked');
    const files = (readdirSync(unpacked, { recursive: true }) as string[])
      .map((f) => join(unpacked, f))
      .filter((f) => statSync(f).isFile());
    expect(files.length).toBe(pack.files.length);
    const withKeys = files.filter((f) =>
      /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{16}/.test(readFileSync(f, 'latin1')),
    );
    expect(withKeys.map((f) => relative(unpacked, f))).toEqual([]);
  });

  it('is clean under publint and @arethetypeswrong/cli', async () => {
    const reports = await lint;
    console.log(formatReports(reports));
    expect(reports.map((r) => [r.tool, r.problems])).toEqual([
      ['publint', []],
      ['attw', []],
    ]);
  }, 120_000);

  it('has type declarations that import no optional module', () => {
    // A consumer's tsc reads these with skipLibCheck: false; an import of an optional module there fails
    // it (TS2307 without the module, TS7016 with the module but without its @types).
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
    };
    const optional = Object.keys(manifest.optionalDependencies);
    expect(optional).toContain('better-sqlite3');
    const declarations = pack.files.map((f) => f.path).filter((p) => /\.d\.c?ts$/.test(p));
    expect(declarations.length).toBeGreaterThanOrEqual(8);
    const offending: string[] = [];
    for (const path of declarations) {
      const text = readFileSync(join(work, 'unpacked/package', path), 'utf8');
      for (const name of optional) {
        if (new RegExp(`(from|import\\(|require\\()\\s*['"]${name}(/[^'"]*)?['"]`).test(text)) {
          offending.push(`${path} imports ${name}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('installs without the optional native modules', () => {
    const installed = readdirSync(join(work, 'node_modules'));
    expect(installed).toContain('xinyi-terminal');
    expect(installed).not.toContain('node-hid');
    expect(installed).not.toContain('serialport');
    expect(installed).not.toContain('better-sqlite3');
    expect(installed).not.toContain('@zxing');
  });

  it('without @zxing/library (optional), the fallback decoder says how to install it; the default decodes', async () => {
    const script = `
      const { createZxingLibraryDecoder, createZxingWasmDecoder } = await import('xinyi-terminal/adapters');
      const fallback = await createZxingLibraryDecoder().then(() => 'loaded', (e) => [e.code, e.message]);
      const wasm = await createZxingWasmDecoder();
      wasm.close?.();
      console.log(JSON.stringify({ fallback, wasm: wasm.name }));`;
    const out = JSON.parse(await run('node', ['--input-type=module', '-e', script]));
    expect(out.fallback[0]).toBe('NATIVE_MODULE_UNAVAILABLE');
    expect(out.fallback[1]).toMatch(/^@zxing\/library is not installed: npm install @zxing\/library/);
    expect(out.wasm).toBe('zxing-wasm');
  });
});

// The decision every consumer runs, in syntax that is both JavaScript and TypeScript.
const DECISION = `
  const at = Date.parse('2026-11-26T10:00:00+08:00');
  const clock = { now: () => at };
  const [member, stranger] = generatePopulation(2, 'package-consumer');
  const pseudonymizer = createPseudonymizer('package-consumer-pseudonym-key');
  const credit = createInMemoryCreditProvider({ clock });
  credit.set(pseudonymizer.pseudonymize(member.idNumber), { tier: 'AA', lists: [] });
  const terminal = createTerminal({
    terminalId: 'consumer-kiosk-1', scene: 'library-kiosk', pseudonymizer, credit: [credit], clock,
  });
  const granted = await terminal.present({ kind: 'id-card', idNumber: member.idNumber });
  const unknown = await terminal.present({ kind: 'id-card', idNumber: stranger.idNumber });
  await terminal.close();
  const native = await loadNativeModule('serialport').then(() => 'loaded', (e) => e.code);
  console.log(JSON.stringify({
    outcome: granted.outcome,
    books: granted.benefits.flatMap((b) => (b.kind === 'loan-limit' ? [b.books] : [])),
    tier: granted.effectiveTier,
    source: granted.standingSource,
    masked: granted.subject?.masked === maskIdNumber(member.idNumber),
    leaked: JSON.stringify([granted, unknown]).includes(member.idNumber),
    unknown: unknown.outcome,
    native,
    frames: new SamFrameDecoder().push(new Uint8Array(0)).length,
  }));
`;

const EXPECTED = {
  outcome: 'granted',
  books: [4],
  tier: 'AA',
  source: 'platform',
  masked: true,
  leaked: false,
  unknown: 'unavailable',
  native: 'NATIVE_MODULE_UNAVAILABLE',
  frames: 0,
};

const NAMES = `{
  createInMemoryCreditProvider, createPseudonymizer, createTerminal, maskIdNumber,
}`;

/** Every consumer prints the decision line last; plain JS consumers print the entry check before it. */
function lastJsonLine(stdout: string): unknown {
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

// Names from each entry point that a plain JavaScript consumer must find, and a QR decoded offline.
const PLAIN_CHECKS = `
  const checks = [
    ['.', 'createTerminal'], ['.', 'evaluate'], ['.', 'qingzhouPolicyPack'], ['.', 'isValidResidentIdNumber'],
    ['.', 'XinyiError'], ['.', 'isXinyiError'], ['.', 'createPseudonymizer'], ['.', 'maskIdNumber'],
    ['.', 'verifyCreditCode'], ['.', 'createHttpPlatformResolver'], ['.', 'openSnapshotStore'],
    ['/adapters', 'loadNativeModule'], ['/adapters', 'encodeSamCommand'], ['/adapters', 'SamFrameDecoder'],
    ['/adapters', 'IdCardReader'], ['/adapters', 'HidScanner'], ['/adapters', 'SerialScanner'],
    ['/adapters', 'CameraScanner'], ['/adapters', 'listSerialPorts'],
    ['/simulator', 'generatePopulation'], ['/simulator', 'runSimulatedDay'], ['/simulator', 'startMockPlatform'],
    ['/simulator', 'createCreditIssuer'], ['/simulator', 'VirtualIdCardReader'], ['/simulator', 'startTcpDeviceServer'],
    ['/simulator', 'createSimulator'], ['/platform', 'signTrustList'], ['/platform', 'buildSnapshot'],
    ['/platform', 'verifyRequestSignature'],
  ];
  for (const [entry, name] of checks) {
    const mod = await load('xinyi-terminal' + (entry === '.' ? '' : entry));
    if (mod[name] === undefined) throw new Error('missing ' + name + ' in ' + entry);
  }
  // The camera decoder must find its .wasm inside the installed package, never on a CDN.
  const realFetch = globalThis.fetch;
  globalThis.fetch = () => { throw new Error('no network for the terminal'); };
  const { frame, payload } = await sim.generateCameraFrame({ seed: 1, width: 640, height: 480 });
  const scans = await (await adapters.createZxingWasmDecoder()).decode(frame);
  globalThis.fetch = realFetch;
  console.log(JSON.stringify({ entries: checks.length, qr: scans.length === 1 && scans[0].text === payload }));
`;

const PLAIN_BODY = `
  const core = await load('xinyi-terminal');
  const adapters = await load('xinyi-terminal/adapters');
  const sim = await load('xinyi-terminal/simulator');
  ${PLAIN_CHECKS}
  const ${NAMES} = core;
  const { loadNativeModule, SamFrameDecoder } = adapters;
  const { generatePopulation } = sim;
  ${DECISION}
`;

describe.concurrent('a consumer', () => {
  it('in plain ESM imports every entry point and runs a decision', async ({ expect }) => {
    write('esm/decision.mjs', `const load = (m) => import(m);\n${PLAIN_BODY}`);
    const out = await run('node', ['esm/decision.mjs']);
    expect(JSON.parse(out.trim().split('\n')[0]!)).toEqual({ entries: 29, qr: true });
    expect(lastJsonLine(out)).toEqual(EXPECTED);
  }, 120_000);

  it('in plain CommonJS requires every entry point and runs a decision', async ({ expect }) => {
    write(
      'cjs/decision.cjs',
      `const load = async (m) => require(m);\n(async () => {${PLAIN_BODY}})().catch((e) => { console.error(e); process.exitCode = 1; });`,
    );
    const out = await run('node', ['cjs/decision.cjs']);
    expect(JSON.parse(out.trim().split('\n')[0]!)).toEqual({ entries: 29, qr: true });
    expect(lastJsonLine(out)).toEqual(EXPECTED);
  }, 120_000);

  const TYPED_IMPORTS = `
    import ${NAMES} from 'xinyi-terminal';
    import type { CreditStanding, Decision } from 'xinyi-terminal';
    import { loadNativeModule, SamFrameDecoder } from 'xinyi-terminal/adapters';
    import { generatePopulation, type SyntheticPerson } from 'xinyi-terminal/simulator';
    import { signTrustList, type TrustListContent } from 'xinyi-terminal/platform';
  `;
  // Type-level uses: a wrong or missing type in the published .d.ts / .d.cts fails tsc here.
  const TYPED = `
    export const standing: CreditStanding = { tier: 'A', lists: [], source: 'platform', asOf: '' };
    export const people: SyntheticPerson[] = generatePopulation(1, 1);
    export function outcomeOf(d: Decision): 'granted' | 'denied' | 'unavailable' { return d.outcome; }
    export const signer: typeof signTrustList = signTrustList;
    export type Content = TrustListContent;
  `;
  const tsconfig = (options: Record<string, unknown>, files: string[]) =>
    JSON.stringify({
      compilerOptions: {
        ...options,
        strict: true,
        outDir: 'out',
        // A Node.js consumer has @types/node; borrow ours rather than install it again.
        typeRoots: [join(root, 'node_modules/@types')],
        types: ['node'],
        skipLibCheck: false,
      },
      files,
    });

  it('in TypeScript with moduleResolution node16 type-checks ESM and CJS files and runs both', async ({
    expect,
  }) => {
    write('ts-node16/package.json', JSON.stringify({ type: 'module' }));
    write(
      'ts-node16/tsconfig.json',
      tsconfig({ module: 'node16', moduleResolution: 'node16', target: 'es2022' }, ['esm.ts', 'cjs.cts']),
    );
    write('ts-node16/esm.ts', `${TYPED_IMPORTS}\n${TYPED}\n${DECISION}`);
    write(
      'ts-node16/cjs.cts',
      `${TYPED_IMPORTS}\n${TYPED}\nasync function main(): Promise<void> {${DECISION}}\nvoid main();`,
    );
    await run(process.execPath, [tsc, '-p', 'ts-node16']);
    const [esm, cjs] = await Promise.all([
      run('node', ['ts-node16/out/esm.js']),
      run('node', ['ts-node16/out/cjs.cjs']),
    ]);
    expect(readFileSync(join(work, 'ts-node16/out/cjs.cjs'), 'utf8')).toContain('require("xinyi-terminal")');
    expect(lastJsonLine(esm)).toEqual(EXPECTED);
    expect(lastJsonLine(cjs)).toEqual(EXPECTED);
  }, 120_000);

  it('in TypeScript with moduleResolution bundler type-checks and runs', async ({ expect }) => {
    write('ts-bundler/package.json', JSON.stringify({ type: 'module' }));
    write(
      'ts-bundler/tsconfig.json',
      tsconfig({ module: 'preserve', moduleResolution: 'bundler', target: 'es2022' }, ['decision.ts']),
    );
    write('ts-bundler/decision.ts', `${TYPED_IMPORTS}\n${TYPED}\n${DECISION}`);
    await run(process.execPath, [tsc, '-p', 'ts-bundler']);
    expect(lastJsonLine(await run('node', ['ts-bundler/out/decision.js']))).toEqual(EXPECTED);
  }, 120_000);

  it('gets the xinyi command, which works without the native modules', async ({ expect }) => {
    const xinyi = join(work, 'node_modules/.bin/xinyi');
    const [help, devices, wrong] = await Promise.all([
      attempt(xinyi, ['--help']),
      attempt(xinyi, ['devices']),
      attempt(xinyi, ['frobnicate']),
    ]);
    expect(help.code).toBe(0);
    for (const command of ['demo', 'sim', 'gate', 'doctor', 'devices', 'snapshot']) {
      expect(help.stdout).toContain(`xinyi ${command}`);
    }
    expect(devices.code).toBe(0);
    expect(devices.stdout).toContain('serial ports: cannot list (NATIVE_MODULE_UNAVAILABLE)');
    expect(devices.stdout).toContain('HID devices: cannot list (NATIVE_MODULE_UNAVAILABLE)');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe("xinyi: unknown command 'frobnicate' (see: xinyi --help)");
  }, 60_000);
});
