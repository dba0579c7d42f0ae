// `xinyi sim` as a POS vendor would use it: the virtual reader in its own process, our driver (or
// theirs) connecting over TCP as to a serial device server, cards tapped from the command line.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type IdCardReadEvent, IdCardReader } from '../../adapters/id-card/index.js';
import { TcpTransport } from '../../adapters/transport/index.js';
import { generatePopulation } from '../../simulator/index.js';

const root = resolve(import.meta.dirname, '../..');
let child: ChildProcessWithoutNullStreams | undefined;
let reader: IdCardReader | undefined;

afterEach(async () => {
  await reader?.close();
  child?.kill('SIGTERM');
});

let output = '';

async function waitForLine(pattern: RegExp): Promise<RegExpMatchArray> {
  const start = Date.now();
  for (;;) {
    const match = output.match(pattern);
    if (match) return match;
    if (Date.now() - start > 15_000) throw new Error(`no line matching ${pattern} in: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('xinyi sim --tcp', () => {
  it('serves a virtual reader that a driver reads a tapped card from', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'cli/xinyi.ts', 'sim', '--tcp', '0', '--seed', 'cli-test'],
      {
        cwd: root,
      },
    );
    output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [, port] = await waitForLine(/tcp 127\.0\.0\.1:(\d+)/);
    reader = new IdCardReader({
      transport: new TcpTransport({ host: '127.0.0.1', port: Number(port) }),
      pollIntervalMs: 20,
    });
    const card = new Promise<IdCardReadEvent>((resolveCard) => reader!.once('card', resolveCard));
    await reader.open();
    child.stdin.write('tap 3\n');
    const event = await card;
    const [expected] = generatePopulation(20, 'cli-test').slice(3);
    expect(event.credential.idNumber).toBe(expected!.idNumber);
    const placed = await waitForLine(/card 3 placed: (\S+)/);
    expect(placed[1]).not.toContain(expected!.idNumber.slice(1, 17));
    child.stdin.write('quit\n');
    const code = await new Promise<number | null>((done) => child!.once('exit', done));
    expect(code).toBe(0);
  }, 30_000);
});
