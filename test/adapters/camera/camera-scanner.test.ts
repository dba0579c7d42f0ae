import { describe, expect, it, vi } from 'vitest';
import {
  type CameraFrame,
  CameraScanner,
  type CameraScannerOptions,
  chooseCredentialScan,
  createZxingWasmDecoder,
  type FrameDecoder,
} from '../../../adapters/camera/index.js';
import type { Scan } from '../../../adapters/scanner/scan.js';
import type { Credential } from '../../../sdk/domain/credential.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { generateCameraFrame } from '../../../simulator/camera/index.js';

const FRAME: CameraFrame = { width: 4, height: 2, format: 'gray', data: new Uint8Array(8) };
const CREDIT = 'QZ1:6BFOXN*TS0BI$ZDFRH';

/** A decoder whose results the test decides, one frame at a time (like a decoder in a worker). */
class ScriptedDecoder implements FrameDecoder {
  readonly name = 'scripted';
  readonly calls: CameraFrame[] = [];
  #pending: { resolve: (scans: Scan[]) => void; reject: (error: Error) => void }[] = [];

  decode(frame: CameraFrame): Promise<Scan[]> {
    this.calls.push(frame);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  /** Finishes the oldest decode with these texts (QR). */
  finish(...texts: string[]): void {
    this.#pending.shift()!.resolve(texts.map((text) => ({ text, symbology: 'qr', source: 'camera' })));
  }

  fail(error: Error): void {
    this.#pending.shift()!.reject(error);
  }
}

function rig(options: Partial<CameraScannerOptions> = {}) {
  let nowMs = 0;
  const decoder = new ScriptedDecoder();
  const scanner = new CameraScanner({ decoder, clock: { now: () => nowMs }, ...options });
  const scans: Scan[] = [];
  const errors: Error[] = [];
  scanner.on('scan', (scan) => scans.push(scan));
  scanner.on('warning', (error) => errors.push(error));
  /** Pushes a frame at `atMs` whose decode finds `texts`. */
  const frame = async (atMs: number, ...texts: string[]) => {
    nowMs = atMs;
    expect(scanner.push(FRAME)).toBe(true);
    decoder.finish(...texts);
    await scanner.idle();
  };
  return { scanner, decoder, scans, errors, frame };
}

describe('CameraScanner', () => {
  it('reports a code once while it stays in view, and again after it has been gone', async () => {
    const { scanner, scans, frame } = rig({ goneAfterMs: 1000, goneAfterFrames: 2 });
    for (let t = 0; t <= 3000; t += 100) await frame(t, CREDIT);
    expect(scans.map((s) => s.text)).toEqual([CREDIT]);
    expect(scans[0]).toEqual({ text: CREDIT, symbology: 'qr', source: 'camera' });

    // Missed for a few frames (glare) but back within goneAfterMs: still the same presentation.
    await frame(3100);
    await frame(3200);
    await frame(3300);
    await frame(3400, CREDIT);
    expect(scans).toHaveLength(1);

    // Gone for 1 s and more than two frames: the next sighting is a new scan.
    for (let t = 3500; t <= 4500; t += 250) await frame(t);
    await frame(4600, CREDIT);
    expect(scans).toHaveLength(2);
    expect(scanner.stats).toMatchObject({ decoded: 41, scans: 2, dropped: 0, errors: 0 });
  });

  it('needs both the time and the frames: a paused camera does not make a code gone', async () => {
    const { scans, frame } = rig({ goneAfterMs: 1000, goneAfterFrames: 2 });
    await frame(0, CREDIT);
    await frame(5000, CREDIT); // no frames in between: the code may never have left
    expect(scans).toHaveLength(1);
    await frame(5100);
    await frame(5200, CREDIT); // one frame without it, and only 100 ms
    expect(scans).toHaveLength(1);
  });

  it('several codes in one frame are one credential; a code joining one already reported is not another', async () => {
    const { scanner, scans, frame } = rig({ goneAfterMs: 500, goneAfterFrames: 1 });
    await frame(0, 'A', 'B');
    await frame(100, 'A');
    await frame(700, 'A', 'B');
    await frame(800, 'A', 'A');
    expect(scans.map((s) => s.text)).toEqual(['A']);
    // Once A has gone too, the pair is a new presentation: one credential again.
    await frame(1400);
    await frame(1500, 'B', 'A');
    expect(scans.map((s) => s.text)).toEqual(['A', 'B']);
    expect(scanner.stats).toMatchObject({ scans: 2, extraSymbols: 2 });
  });

  it('the credential of a frame: a credit code first, then the largest symbol, then decoder order', () => {
    const scan = (text: string, areaPx?: number): Scan => ({
      text,
      symbology: 'qr',
      source: 'camera',
      ...(areaPx === undefined ? {} : { areaPx }),
    });
    expect(chooseCredentialScan([scan('MEMBER', 90_000), scan(CREDIT, 400)])?.text).toBe(CREDIT);
    expect(chooseCredentialScan([scan(`${CREDIT}X`, 100), scan(CREDIT, 400)])?.text).toBe(CREDIT);
    expect(chooseCredentialScan([scan('SMALL', 100), scan('LARGE', 400)])?.text).toBe('LARGE');
    expect(chooseCredentialScan([scan('FIRST'), scan('SECOND')])?.text).toBe('FIRST');
    expect(chooseCredentialScan([scan('MEMBER', 9), scan('X:QZ1', 1)], ['X:'])?.text).toBe('X:QZ1');
    expect(chooseCredentialScan([])).toBeUndefined();
  });

  it('a code whose text holds line breaks is refused (multi-line), not one credential per line', async () => {
    const { scanner, scans, frame } = rig();
    const rejected: Array<{ reason: string; length: number }> = [];
    scanner.on('rejected', (e) => rejected.push(e));
    await frame(0, 'MEMBER-0001\rMEMBER-0002\rMEMBER-0003');
    await frame(100, 'MEMBER-0001\rMEMBER-0002\rMEMBER-0003');
    expect(scans).toEqual([]);
    expect(rejected).toEqual([{ reason: 'multi-line', length: 35 }]);
    // Separators alone are not a code either.
    const errors: Error[] = [];
    scanner.on('warning', (e) => errors.push(e));
    await frame(5000);
    await frame(6200, '\u001d\u001e\u0004');
    expect(errors.map((e) => (isXinyiError(e) ? e.code : e.name))).toEqual(['FRAME_GARBLED']);
  });

  it('a rate limit per camera: 3 credentials at once, then one a second (a screen replaying codes)', async () => {
    const { scanner, scans, frame } = rig({ goneAfterMs: 0, goneAfterFrames: 1 });
    const rejected: string[] = [];
    scanner.on('rejected', (e) => rejected.push(e.reason));
    for (let i = 0; i < 5; i++) await frame(i, `TICKET-${i}`);
    expect(scans.map((s) => s.text)).toEqual(['TICKET-0', 'TICKET-1', 'TICKET-2']);
    expect(rejected).toEqual(['rate-limited', 'rate-limited']);
    await frame(1004, 'TICKET-5');
    expect(scans).toHaveLength(4);
    const unlimited = rig({ goneAfterMs: 0, goneAfterFrames: 1, rateLimit: false });
    for (let i = 0; i < 5; i++) await unlimited.frame(i, `TICKET-${i}`);
    expect(unlimited.scans).toHaveLength(5);
  });

  it('decodes one frame at a time and drops (and counts) frames that arrive meanwhile', async () => {
    const { scanner, decoder, scans } = rig();
    expect(scanner.push(FRAME)).toBe(true);
    expect(scanner.push(FRAME)).toBe(false);
    expect(scanner.push(FRAME)).toBe(false);
    expect(decoder.calls).toHaveLength(1);
    decoder.finish('X');
    await scanner.idle();
    expect(scanner.push(FRAME)).toBe(true);
    decoder.finish();
    await scanner.idle();
    expect(decoder.calls).toHaveLength(2);
    expect(scans).toHaveLength(1);
    const stats = scanner.stats;
    expect(stats).toMatchObject({ frames: 4, decoded: 2, dropped: 2, scans: 1, errors: 0 });
    expect(stats.medianDecodeMs).toBeGreaterThanOrEqual(0);
  });

  it('classifies QZ1: text as a credit code and other text as a barcode', async () => {
    const { scanner, frame } = rig();
    const credentials: Credential[] = [];
    const unsubscribe = scanner.onCredential((credential) => credentials.push(credential));
    await frame(0, '6901234567892', `  ${CREDIT}`);
    expect(credentials).toEqual([{ kind: 'credit-code', text: CREDIT }]);
    await frame(5000);
    await frame(5100);
    await frame(6200, '6901234567892');
    expect(credentials).toEqual([
      { kind: 'credit-code', text: CREDIT },
      { kind: 'barcode', text: '6901234567892', symbology: 'qr' },
    ]);
    unsubscribe();
    await frame(9000);
    await frame(9100);
    await frame(10_200, 'again');
    expect(credentials).toHaveLength(2);
  });

  it('reports decoder failures as warning events and keeps scanning', async () => {
    const { scanner, decoder, errors, scans, frame } = rig();
    scanner.push(FRAME);
    decoder.fail(new Error('wasm trap'));
    await scanner.idle();
    expect(errors.map((e) => e.message)).toEqual(['wasm trap']);
    await frame(10, 'after');
    expect(scans).toHaveLength(1);
    expect(scanner.stats.errors).toBe(1);
  });

  it('does not crash without a warning listener', async () => {
    const decoder = new ScriptedDecoder();
    const scanner = new CameraScanner({ decoder });
    scanner.push(FRAME);
    decoder.fail(new Error('boom'));
    await expect(scanner.idle()).resolves.toBeUndefined();
  });

  it('rejects malformed frames with INVALID_ARGUMENT', () => {
    const { scanner } = rig();
    expect(() => scanner.push({ width: 4, height: 3, format: 'gray', data: new Uint8Array(8) })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => scanner.push({ width: 2, height: 2, format: 'rgba', data: new Uint8Array(8) })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(scanner.stats.frames).toBe(0);
  });

  it('rejects invalid options with INVALID_OPTIONS', () => {
    expect(() => new CameraScanner({} as CameraScannerOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => new CameraScanner({ decoder: new ScriptedDecoder(), goneAfterMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('run() consumes an async source, reports malformed frames as errors, and reports states', async () => {
    const { scanner, decoder, scans, errors } = rig();
    const states: string[] = [];
    scanner.onState((state) => states.push(state));
    async function* source() {
      yield FRAME;
      await new Promise((resolve) => setTimeout(resolve, 1));
      decoder.finish('Q');
      yield { ...FRAME, width: 3 };
      await scanner.idle();
      yield FRAME;
      decoder.finish();
    }
    await scanner.run(source());
    expect(scans.map((s) => s.text)).toEqual(['Q']);
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_ARGUMENT' })]);
    expect(states).toEqual(['running', 'ready']);
    expect(scanner.stats).toMatchObject({ frames: 2, decoded: 2, dropped: 0 });
  });

  it('close() ends run() while the source waits for its next frame, and discards late results', async () => {
    const { scanner, decoder, scans } = rig();
    let returned = false;
    const source: AsyncIterable<CameraFrame> = {
      [Symbol.asyncIterator]() {
        let sent = false;
        return {
          next: () => {
            if (!sent) {
              sent = true;
              return Promise.resolve({ done: false, value: FRAME });
            }
            return new Promise(() => {}); // a camera that never delivers again
          },
          return: () => {
            returned = true;
            return Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    };
    const running = scanner.run(source);
    await vi.waitFor(() => expect(decoder.calls).toHaveLength(1));
    scanner.close();
    decoder.finish('late');
    await running;
    expect(scans).toEqual([]);
    expect(returned).toBe(true);
    expect(scanner.state).toBe('closed');
    expect(scanner.push(FRAME)).toBe(false);
    await expect(scanner.run([FRAME])).rejects.toSatisfy((error) => isXinyiError(error, 'CLOSED'));
  });

  it('reads a generated credit code end to end with the wasm decoder', async () => {
    const decoder = await createZxingWasmDecoder();
    const scanner = new CameraScanner({ decoder });
    const credentials: Credential[] = [];
    scanner.onCredential((credential) => credentials.push(credential));
    const generated = await generateCameraFrame({
      seed: 'scanner-e2e',
      width: 640,
      height: 480,
      modulePx: 3,
    });
    await scanner.run([generated.frame, generated.frame]);
    expect(credentials).toEqual([{ kind: 'credit-code', text: generated.payload }]);
    decoder.close?.();
  });
});
