// The API reference is generated from the types (typedoc.json) on every run, with TypeDoc's warnings
// treated as errors: a broken doc comment or a public type left unexported fails here.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

interface TypedocRun {
  code: number | null;
  output: string;
}

function runTypedoc(out: string): Promise<TypedocRun> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [resolve(root, 'node_modules/typedoc/bin/typedoc'), '--out', out, '--treatWarningsAsErrors'],
      { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}

/** The page documenting `name` in a section of the reference (`functions`, `classes`, …). */
function pageFor(out: string, section: string, name: string): string {
  const files = readdirSync(join(out, section)).filter(
    (f) => f.endsWith(`.${name}.html`) || f === `${name}.html`,
  );
  expect(files, `${section}/*${name}.html`).toHaveLength(1);
  return readFileSync(join(out, section, files[0]!), 'utf8');
}

describe('the API reference (typedoc.json)', () => {
  let out: string;
  let run: TypedocRun;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'xinyi-api-reference-'));
    run = await runTypedoc(out);
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('generates with no warning and no error', () => {
    expect(run.output).not.toMatch(/\[(warning|error)\]/);
    expect(run.code, run.output).toBe(0);
  });

  it('has an index page that introduces the four entry points', () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index).toContain('xinyi-terminal API reference');
    for (const entry of ['xinyi-terminal/adapters', 'xinyi-terminal/simulator', 'xinyi-terminal/platform'])
      expect(index).toContain(entry);
    const modules = readdirSync(join(out, 'modules')).sort();
    expect(modules).toEqual(['adapters.html', 'platform.html', 'sdk.html', 'simulator.html']);
  });

  it('documents the main functions and classes from their doc comments', () => {
    expect(pageFor(out, 'functions', 'createTerminal')).toContain('<title>createTerminal');
    expect(pageFor(out, 'functions', 'evaluate')).toContain('<title>evaluate');
    expect(pageFor(out, 'functions', 'createSqliteJournal')).toContain('<title>createSqliteJournal');
    const lane = pageFor(out, 'classes', 'GateController');
    expect(lane).toContain('<title>GateController');
    expect(lane).toMatch(/attach/);
    expect(pageFor(out, 'classes', 'IdCardReader')).toContain('<title>IdCardReader');
    expect(pageFor(out, 'functions', 'startMockPlatform')).toContain('<title>startMockPlatform');
    expect(pageFor(out, 'functions', 'createSimulator')).toContain('<title>createSimulator');
    expect(pageFor(out, 'functions', 'signTrustList')).toContain('<title>signTrustList');
  });
});
