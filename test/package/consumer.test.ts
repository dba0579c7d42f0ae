// Packs the package as npm would publish it and uses it from a throw-away consumer project:
// require() and import of all three entry points, their type files, and the `xinyi` bin.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'xinyi-consumer-'));
const execFileAsync = promisify(execFile);

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

let tarballFiles: string[] = [];

beforeAll(async () => {
  const out = await run('npm', ['pack', '--json', '--pack-destination', work], root);
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarballFiles = info!.files.map((f) => f.path);
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
  );
  // --omit=optional: a machine where serialport, node-hid and better-sqlite3 are missing, which the core must not need.
  await run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--omit=optional',
    join(work, info!.filename),
  ]);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships the build and no sources or tests', () => {
    expect(tarballFiles).toContain('dist/sdk/index.js');
    expect(tarballFiles).toContain('dist/sdk/index.cjs');
    expect(tarballFiles).toContain('dist/sdk/index.d.ts');
    expect(tarballFiles).toContain('dist/sdk/index.d.cts');
    expect(tarballFiles).toContain('dist/cli/xinyi.js');
    expect(
      tarballFiles.filter((f) => f.startsWith('test/') || f.startsWith('sdk/') || f.endsWith('.test.ts')),
    ).toEqual([]);
  });

  const probe = `
    const checks = [
      ['.', 'createTerminal'], ['.', 'evaluate'], ['.', 'qingzhouPolicyPack'], ['.', 'isValidResidentIdNumber'],
      ['.', 'XinyiError'], ['.', 'isXinyiError'], ['.', 'createPseudonymizer'], ['.', 'maskIdNumber'],
      ['/adapters', 'loadNativeModule'], ['/adapters', 'encodeSamCommand'], ['/adapters', 'SamFrameDecoder'],
      ['/simulator', 'generatePopulation'], ['/simulator', 'runSimulatedDay'],
      ['/adapters', 'IdCardReader'], ['/adapters', 'HidScanner'], ['/adapters', 'SerialScanner'],
      ['/adapters', 'CameraScanner'], ['.', 'verifyCreditCode'], ['.', 'createHttpPlatformResolver'],
      ['.', 'openSnapshotStore'], ['/simulator', 'startMockPlatform'], ['/simulator', 'createCreditIssuer'], ['/simulator', 'VirtualIdCardReader'], ['/simulator', 'startTcpDeviceServer'],
    ];
    for (const [entry, name] of checks) {
      const mod = await load('xinyi-terminal' + (entry === '.' ? '' : entry));
      if (mod[name] === undefined) throw new Error('missing ' + name + ' in ' + entry);
    }
    const core = await load('xinyi-terminal');
    const d = core.evaluate(core.qingzhouPolicyPack, {
      scene: 'library-kiosk', now: '2026-11-26T10:00:00+08:00',
      standing: { tier: 'AA', lists: [], source: 'platform', asOf: '2026-11-26T09:00:00+08:00' },
    });
    // The camera decoder must find its .wasm inside the installed package, never on a CDN.
    globalThis.fetch = () => { throw new Error('no network for the terminal'); };
    const sim = await load('xinyi-terminal/simulator');
    const adapters = await load('xinyi-terminal/adapters');
    const { frame, payload } = await sim.generateCameraFrame({ seed: 1, width: 640, height: 480 });
    const decoder = await adapters.createZxingWasmDecoder();
    const scans = await decoder.decode(frame);
    console.log(JSON.stringify({
      outcome: d.outcome,
      books: d.benefits.find((b) => b.kind === 'loan-limit').books,
      qr: scans.length === 1 && scans[0].text === payload,
    }));
  `;

  it('can be required from CommonJS', async () => {
    writeFileSync(
      join(work, 'probe.cjs'),
      `const load = async (m) => require(m);\n(async () => {${probe}})();`,
    );
    expect(JSON.parse(await run('node', ['probe.cjs']))).toEqual({ outcome: 'granted', books: 4, qr: true });
  });

  it('can be imported from ESM', async () => {
    writeFileSync(join(work, 'probe.mjs'), `const load = (m) => import(m);\n${probe}`);
    expect(JSON.parse(await run('node', ['probe.mjs']))).toEqual({ outcome: 'granted', books: 4, qr: true });
  });

  it('loads without the optional native modules', async () => {
    const installed = readdirSync(join(work, 'node_modules'));
    expect(installed).not.toContain('node-hid');
    expect(installed).not.toContain('serialport');
    expect(installed).not.toContain('better-sqlite3');
    // The core and the adapters entry load; only asking for a native module fails, with a typed error.
    writeFileSync(
      join(work, 'native.mjs'),
      `import { loadNativeModule } from 'xinyi-terminal/adapters';
       try { await loadNativeModule('node-hid'); console.log('loaded'); }
       catch (e) { console.log(e.code); }`,
    );
    expect((await run('node', ['native.mjs'])).trim()).toBe('NATIVE_MODULE_UNAVAILABLE');
  });

  it('type-checks from ESM and CommonJS consumers', async () => {
    writeFileSync(
      join(work, 'types.mts'),
      `import { createTerminal, type Decision, type CreditStanding } from 'xinyi-terminal';
       import { SamFrameDecoder } from 'xinyi-terminal/adapters';
       import { generatePopulation, type SyntheticPerson } from 'xinyi-terminal/simulator';
       const s: CreditStanding = { tier: 'A', lists: [], source: 'platform', asOf: '' };
       export const t = createTerminal({ terminalId: 't', scene: 'scenic-gate', pseudonymKey: 'k'.repeat(16) });
       export const d: Promise<Decision> = t.present({ kind: 'barcode', text: '1' });
       export const p: SyntheticPerson[] = generatePopulation(1, 1);
       export const x = [s, new SamFrameDecoder()];`,
    );
    writeFileSync(
      join(work, 'types.cts'),
      `import { evaluate, qingzhouPolicyPack } from 'xinyi-terminal';
       export const outcome: 'granted' | 'denied' | 'unavailable' = evaluate(qingzhouPolicyPack, {
         scene: 'bank-counter', now: 0, standing: { tier: null, lists: [], source: 'none', asOf: '' } }).outcome;`,
    );
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // A Node.js consumer has @types/node; borrow ours rather than install it again.
          typeRoots: [join(root, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['types.mts', 'types.cts'],
      }),
    );
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
  });

  it('installs the xinyi command', async () => {
    expect(await run(join(work, 'node_modules/.bin/xinyi'), ['help'])).toContain('xinyi demo');
  });
});
