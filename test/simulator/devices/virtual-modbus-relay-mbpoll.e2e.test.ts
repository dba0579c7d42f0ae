// The virtual Modbus relay board against a master nobody here wrote: `mbpoll` (Debian package), over a
// socat PTY pair at 9600 8N1 as it would poll /dev/ttyUSB0. Function codes the board does not
// implement must be answered with exception 01 (illegal function), not left to time out: `mbpoll -u`
// (report slave ID, FC11) once timed out against it.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadNativeModule } from '../../../adapters/native.js';
import { SerialTransport } from '../../../adapters/transport/serial-transport.js';
import { VirtualModbusRelayBoard } from '../../../simulator/devices/virtual-modbus-relay.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../../simulator/pty.js';

function hasMbpoll(): boolean {
  try {
    execFileSync('mbpoll', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasSerialport = await loadNativeModule('serialport').then(
  () => true,
  () => false,
);
const missing = !hasMbpoll()
  ? 'mbpoll is not installed: apt-get install mbpoll'
  : !isSocatAvailable()
    ? 'socat is not installed: apt-get install socat'
    : !hasSerialport
      ? 'serialport is not installed'
      : undefined;

const workDir = mkdtempSync(join(tmpdir(), 'xinyi-mbpoll-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface MbpollRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One mbpoll run (`-1`: poll once), RTU at 9600 8N1, unit 1, a 1 s timeout; `values` are written. */
function mbpoll(port: string, options: string[], values: string[] = []): Promise<MbpollRun> {
  const base = ['-m', 'rtu', '-a', '1', '-b', '9600', '-P', 'none', '-1', '-o', '1'];
  return new Promise((resolve) => {
    execFile(
      'mbpoll',
      [...base, ...options, port, ...values],
      { timeout: 10_000 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ exitCode: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
  });
}

if (missing && process.env.XINYI_REQUIRE_MBPOLL === '1') {
  describe('VirtualModbusRelayBoard against mbpoll', () => {
    it('has mbpoll, socat and serialport installed (XINYI_REQUIRE_MBPOLL=1)', () => {
      throw new Error(`XINYI_REQUIRE_MBPOLL=1 but ${missing}`);
    });
  });
} else {
  describe.skipIf(missing !== undefined)(
    `VirtualModbusRelayBoard against mbpoll${missing ? ` (skipped: ${missing})` : ''}`,
    () => {
      let pair: PtyPair | undefined;
      let board: VirtualModbusRelayBoard | undefined;
      let serial = 0;
      afterEach(async () => {
        board?.dispose();
        await pair?.close();
        board = undefined;
        pair = undefined;
      });

      async function start(): Promise<string> {
        pair = await createPtyPair({
          devicePath: join(workDir, `dev-${serial}`),
          hostPath: join(workDir, `host-${serial}`),
        });
        serial++;
        board = new VirtualModbusRelayBoard();
        expect(await board.attach(new SerialTransport({ path: pair.devicePath, baudRate: 9600 }))).toBe(true);
        return pair.hostPath;
      }

      it('mbpoll -u (FC11, report slave ID): exception 01, "Illegal function", not a timeout', async () => {
        const port = await start();
        const run = await mbpoll(port, ['-u']);
        expect(run.stderr).toMatch(/Report slave ID failed.*Illegal function/);
        expect(run.stderr).not.toMatch(/timed out/i);
        expect(board!.stats).toMatchObject({ requests: 1, exceptions: 1 });
      });

      it('mbpoll reads the discrete inputs and writes a coil as the driver does', async () => {
        const port = await start();
        board!.setInput(2, true);
        const inputs = await mbpoll(port, ['-t', '1', '-r', '1', '-c', '8']);
        expect(inputs.exitCode).toBe(0);
        expect(inputs.stdout).toMatch(/\[1\]:\s+0\n\[2\]:\s+0\n\[3\]:\s+1\n/);
        const write = await mbpoll(port, ['-t', '0', '-r', '2'], ['1']);
        expect(write.stdout).toMatch(/Written 1 references/);
        expect(board!.coils.slice(0, 2)).toEqual([false, true]);
        expect(board!.core.stats.opens).toBe(1);
      });

      it('mbpoll reading input registers (FC04, not on a relay board): "Illegal function"', async () => {
        const port = await start();
        const run = await mbpoll(port, ['-t', '3', '-r', '1', '-c', '2']);
        expect(run.stderr).toMatch(/Illegal function/);
      });
    },
  );
}
