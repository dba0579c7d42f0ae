// One contract, two backends: every FrameDecoder must read the codes the SDK needs, in gray and
// RGBA, and say "nothing" (not throw) on an empty frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CameraFrame,
  createZxingLibraryDecoder,
  createZxingWasmDecoder,
  type FrameDecoder,
  type FrameDecoderOptions,
} from '../../../adapters/camera/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  type CameraFrameSpec,
  type GeneratedCameraFrame,
  generateCameraFrame,
  grayToRgba,
} from '../../../simulator/camera/index.js';

const SIZE = { width: 640, height: 480 } as const;

async function frame(spec: Partial<CameraFrameSpec>): Promise<GeneratedCameraFrame> {
  // 4 px per module: inside what both backends read reliably (docs/decoder-bench.md §5.2).
  return generateCameraFrame({ seed: 'decoder-contract', ...SIZE, modulePx: 4, ...spec });
}

function expectInvalidArgument(promise: Promise<unknown>): Promise<void> {
  return expect(promise).rejects.toSatisfy((error) => isXinyiError(error, 'INVALID_ARGUMENT'));
}

const backends: [string, (options?: FrameDecoderOptions) => Promise<FrameDecoder>][] = [
  ['zxing-wasm', createZxingWasmDecoder],
  ['@zxing/library', createZxingLibraryDecoder],
];

describe.each(backends)('%s decoder', (name, create) => {
  let decoder: FrameDecoder;
  let noInvert: FrameDecoder;
  const frames = new Map<string, GeneratedCameraFrame>();

  beforeAll(async () => {
    decoder = await create();
    noInvert = await create({ tryInverted: false });
    frames.set('qr', await frame({ code: 'qr' }));
    frames.set('ean-13', await frame({ code: 'ean-13', modulePx: 3 }));
    frames.set('code-128', await frame({ code: 'code-128', modulePx: 3 }));
    frames.set('inverted', await frame({ variant: 'inverted' }));
    frames.set('empty-flat', await frame({ variant: 'empty-flat' }));
    frames.set('empty-clutter', await frame({ variant: 'empty-clutter' }));
  });
  afterAll(() => {
    decoder.close?.();
    noInvert.close?.();
  });

  it('has a name', () => {
    expect(decoder.name).toBe(name);
  });

  it.each([
    ['qr', 'qr'],
    ['ean-13', 'ean-13'],
    ['code-128', 'code-128'],
  ] as const)('reads a clean %s in gray and RGBA', async (key, symbology) => {
    const generated = frames.get(key)!;
    if (key === 'qr') expect(generated.payload).toMatch(/^QZ1:[0-9A-Z $%*+\-./:]{302}$/);
    for (const input of [generated.frame, grayToRgba(generated.frame)]) {
      const scans = await decoder.decode(input);
      expect(scans).toEqual([
        expect.objectContaining({ text: generated.payload, symbology, source: 'camera' }),
      ]);
    }
  });

  it('reads a gray frame held in a Uint8Array that is a view into a larger buffer', async () => {
    const { frame: gray, payload } = frames.get('qr')!;
    const backing = new Uint8Array(gray.data.length + 64);
    backing.set(gray.data, 32);
    const view: CameraFrame = { ...gray, data: backing.subarray(32, 32 + gray.data.length) };
    expect((await decoder.decode(view))[0]?.text).toBe(payload);
  });

  it('reads an inverted (dark-mode) QR with tryInverted, and not without', async () => {
    const { frame: inverted, payload } = frames.get('inverted')!;
    expect((await decoder.decode(inverted)).map((s) => s.text)).toEqual([payload]);
    expect(await noInvert.decode(inverted)).toEqual([]);
  });

  it('returns [] for empty frames, flat or cluttered', async () => {
    for (const key of ['empty-flat', 'empty-clutter']) {
      const { frame: empty } = frames.get(key)!;
      expect(await decoder.decode(empty)).toEqual([]);
      expect(await decoder.decode(grayToRgba(empty))).toEqual([]);
    }
  });

  it('only reports the symbologies it was asked for', async () => {
    const qrOnly = await create({ symbologies: ['qr'] });
    expect(await qrOnly.decode(frames.get('ean-13')!.frame)).toEqual([]);
    expect(await qrOnly.decode(frames.get('qr')!.frame)).toHaveLength(1);
    qrOnly.close?.();
  });

  it('rejects frames whose data does not match their size with INVALID_ARGUMENT', async () => {
    const data = new Uint8Array(100);
    await expectInvalidArgument(decoder.decode({ width: 10, height: 11, format: 'gray', data }));
    await expectInvalidArgument(decoder.decode({ width: 10, height: 10, format: 'rgba', data }));
    await expectInvalidArgument(
      decoder.decode({ width: 0, height: 0, format: 'gray', data: new Uint8Array(0) }),
    );
    await expectInvalidArgument(decoder.decode({ width: 10.5, height: 10, format: 'gray', data }));
    await expectInvalidArgument(
      decoder.decode({ width: 10, height: 10, format: 'yuv' as 'gray', data: new Uint8Array(100) }),
    );
  });

  it('rejects symbologies it cannot read with INVALID_OPTIONS', async () => {
    await expect(async () => create({ symbologies: ['han-xin'] })).rejects.toSatisfy((error) =>
      isXinyiError(error, 'INVALID_OPTIONS'),
    );
    await expect(async () => create({ symbologies: [] })).rejects.toSatisfy((error) =>
      isXinyiError(error, 'INVALID_OPTIONS'),
    );
  });

  it('refuses to decode once closed', async () => {
    const closing = await create();
    closing.close?.();
    closing.close?.();
    await expect(closing.decode(frames.get('qr')!.frame)).rejects.toSatisfy((error) =>
      isXinyiError(error, 'CLOSED'),
    );
  });
});

describe('zxing-wasm decoder', () => {
  // The decoder calls the embind export behind readBarcodes() directly (gray input, reused buffer);
  // if a zxing-wasm update changes that export, this comparison fails first.
  it('finds what the public readBarcodes() finds, through its gray fast path', async () => {
    const { readBarcodes } = await import('zxing-wasm/reader');
    const decoder = await createZxingWasmDecoder();
    for (const spec of [
      { variant: 'rot45' },
      { code: 'code-128', modulePx: 3 },
      { variant: 'empty-clutter' },
    ] as const) {
      const generated = await frame(spec);
      const rgba = grayToRgba(generated.frame);
      const expected = await readBarcodes(rgba as unknown as Parameters<typeof readBarcodes>[0], {
        formats: ['QRCode', 'EAN13', 'Code128'],
        tryHarder: false,
        tryDownscale: false,
        maxNumberOfSymbols: 1,
      });
      const scans = await decoder.decode(generated.frame);
      expect(scans.map((s) => [s.text, s.aimId])).toEqual(
        expected.map((r) => [r.text, r.symbologyIdentifier]),
      );
    }
    decoder.close?.();
  });

  it('reads 1D codes held upright (tryRotate stays on in the fast setting)', async () => {
    const decoder = await createZxingWasmDecoder();
    const { frame: upright, payload } = await generateCameraFrame({
      seed: 'upright',
      width: 640,
      height: 480,
      code: 'ean-13',
      modulePx: 3,
      rotationDeg: 90,
    });
    expect((await decoder.decode(upright))[0]?.text).toBe(payload);
    decoder.close?.();
  });

  it('reuses its wasm buffer across frame sizes', async () => {
    const decoder = await createZxingWasmDecoder();
    const small = await generateCameraFrame({
      seed: 'sizes',
      width: 320,
      height: 240,
      modulePx: 2.5,
      variant: 'rot10',
    });
    const large = await generateCameraFrame({ seed: 'sizes', width: 1280, height: 720, modulePx: 4 });
    for (const generated of [small, large, small]) {
      expect((await decoder.decode(generated.frame))[0]?.text).toBe(generated.payload);
    }
    decoder.close?.();
  });
});

describe.each(backends)('%s decoder: exact payloads', (_name, create) => {
  // Texts with control characters: once returned by zxing-wasm as `<SOH><DLE>…` and `<RS>`/`<GS>`.
  const payloads: [string, string][] = [
    ['SOH and DLE before CJK text', '\u0001\u0010AD:SUB:阿;;'],
    ['an ISO/IEC 15434 envelope (RS, GS, EOT)', '[)>\u001e06\u001dP12345\u001e\u0004'],
    ['GS1 element strings separated by GS', '0104912345678904\u001d10ABC123\u001d17261231'],
    ['a line break and a tab', 'line one\r\nline\ttwo'],
  ];
  let decoder: FrameDecoder;
  beforeAll(async () => {
    decoder = await create();
  });
  afterAll(() => decoder.close?.());

  it.each(payloads)('%s: the text byte for byte, with an AIM identifier', async (_what, payload) => {
    const { frame: image } = await frame({ code: 'qr', payload, modulePx: 5 });
    const [scan, ...rest] = await decoder.decode(image);
    expect(rest).toEqual([]);
    expect(scan?.text).toBe(payload);
    expect(scan?.aimId).toMatch(/^\]Q[0-6]$/);
    expect(scan?.areaPx).toBeGreaterThan(0);
  });

  it('gives every 1D result an AIM identifier too', async () => {
    const ean = await frame({ code: 'ean-13', modulePx: 3 });
    const code128 = await frame({ code: 'code-128', modulePx: 3 });
    expect((await decoder.decode(ean.frame))[0]?.aimId).toBe(']E0');
    expect((await decoder.decode(code128.frame))[0]?.aimId).toMatch(/^\]C[0-2]$/);
  });
});

describe('both decoders agree', () => {
  it('on the text of the same symbol', async () => {
    const [wasm, library] = await Promise.all([createZxingWasmDecoder(), createZxingLibraryDecoder()]);
    for (const payload of ['\u0001\u0010AD:SUB:阿;;', '[)>\u001e06\u001dP12345\u001e\u0004']) {
      const { frame: image } = await frame({ code: 'qr', payload, modulePx: 5 });
      const [a] = await wasm.decode(image);
      const [b] = await library.decode(image);
      expect(a?.text).toBe(payload);
      expect(b?.text).toBe(a?.text);
    }
    wasm.close?.();
    library.close?.();
  });
});

describe('zxing-wasm decoder options', () => {
  it('maxSymbols: every code of a frame is returned, up to the limit', async () => {
    // Two generated frames side by side: two QR codes in one 1280×480 image.
    const left = (await frame({ code: 'qr', payload: 'LEFT-CODE', modulePx: 4 })).frame;
    const right = (await frame({ code: 'qr', payload: 'RIGHT-CODE', modulePx: 4, seed: 'other' })).frame;
    const both = new Uint8Array(1280 * 480);
    for (let y = 0; y < 480; y++) {
      both.set(left.data.subarray(y * 640, (y + 1) * 640), y * 1280);
      both.set(right.data.subarray(y * 640, (y + 1) * 640), y * 1280 + 640);
    }
    const image: CameraFrame = { width: 1280, height: 480, format: 'gray', data: both };
    const all = await createZxingWasmDecoder({ maxSymbols: 4 });
    expect((await all.decode(image)).map((s) => s.text).sort()).toEqual(['LEFT-CODE', 'RIGHT-CODE']);
    const one = await createZxingWasmDecoder();
    expect(await one.decode(image)).toHaveLength(1);
    all.close?.();
    one.close?.();
  });

  it('binarizer and effort are checked and used', async () => {
    const { frame: image, payload } = await frame({ code: 'qr' });
    for (const binarizer of ['local-average', 'global-histogram'] as const) {
      const decoder = await createZxingWasmDecoder({ binarizer, effort: 'thorough' });
      expect((await decoder.decode(image))[0]?.text).toBe(payload);
      decoder.close?.();
    }
    // A frame thresholded at 0 (every pixel white) holds no code.
    const boolCast = await createZxingWasmDecoder({ binarizer: 'bool-cast' });
    expect(await boolCast.decode(image)).toEqual([]);
    boolCast.close?.();
    for (const options of [
      { binarizer: 'otsu' },
      { maxSymbols: 0 },
      { maxSymbols: 256 },
      { effort: 'max' },
    ]) {
      await expect(createZxingWasmDecoder(options as never)).rejects.toSatisfy((error) =>
        isXinyiError(error, 'INVALID_OPTIONS'),
      );
    }
  });
});

describe('@zxing/library decoder options', () => {
  it('tryHarder and pureBarcode read a clean code, and are checked', async () => {
    const { frame: image, payload } = await frame({ code: 'qr' });
    const decoder = await createZxingLibraryDecoder({ tryHarder: true, pureBarcode: true });
    expect((await decoder.decode(image))[0]?.text).toBe(payload);
    decoder.close?.();
    await expect(createZxingLibraryDecoder({ tryHarder: 'yes' } as never)).rejects.toSatisfy((error) =>
      isXinyiError(error, 'INVALID_OPTIONS'),
    );
  });
});
