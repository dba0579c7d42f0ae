// Conventions every public emitter keeps, checked through the public entries: non-fatal problems are
// `warning` events, so a host with no listener never crashes; an `'error'` event keeps Node's meaning
// (it throws when nobody listens) instead of being swallowed by an `emit` override.
import { describe, expect, it } from 'vitest';
import {
  CameraScanner,
  createMemoryLink,
  FfmpegFrameSource,
  IdCardReader,
  SerialScanner,
} from '../../adapters/index.js';
import { createPseudonymizer, createTerminal, GateController, XinyiError } from '../../sdk/index.js';
import { InProcessGate } from '../../simulator/index.js';

const terminal = () =>
  createTerminal({
    terminalId: 'conventions-1',
    scene: 'scenic-gate',
    pseudonymizer: createPseudonymizer('conventions-pseudonym-key-0123456789'),
  });

const emitters: [name: string, make: () => NodeJS.EventEmitter][] = [
  ['Terminal', terminal],
  ['GateController', () => new GateController({ terminal: terminal(), gate: new InProcessGate() })],
  ['IdCardReader', () => new IdCardReader({ transport: createMemoryLink().host })],
  ['SerialScanner', () => new SerialScanner({ transport: createMemoryLink().host })],
  ['CameraScanner', () => new CameraScanner({ decoder: { name: 'none', decode: async () => [] } })],
  ['FfmpegFrameSource', () => new FfmpegFrameSource({ input: '/dev/video0' })],
];

describe.each(emitters)('%s', (_name, make) => {
  it('emits a warning that nobody listens to without throwing', () => {
    const emitter = make();
    const warning = new XinyiError('FRAME_GARBLED', 'garbled');
    expect(emitter.emit('warning', warning)).toBe(false);
    const heard: unknown[] = [];
    emitter.on('warning', (w: unknown) => heard.push(w));
    expect(emitter.emit('warning', warning)).toBe(true);
    expect(heard).toEqual([warning]);
  });

  it("keeps Node's meaning of 'error': unheard, it throws", () => {
    const emitter = make();
    const error = new XinyiError('DEVICE_DISCONNECTED', 'gone');
    expect(() => emitter.emit('error', error)).toThrow(error);
  });
});
