// Both camera decoders on ZXing's own QR test images (test/fixtures/zxing-blackbox: 179 images of
// qrcode-1 … qrcode-6, each turned by 0, 90, 180 and 270 degrees as ZXing's AbstractBlackBoxTestCase
// turns them: 716 reads). A read counts when the expected text (the image's .txt, byte for byte) is
// among the decoder's results; a misread is any result that is not a symbol of the image. ZXing-Java's
// own suite requires 611 of these 716 without try-harder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createZxingLibraryDecoder,
  createZxingWasmDecoder,
  type FrameDecoder,
} from '../../../adapters/camera/index.js';
import { BLACKBOX_ROTATIONS, type BlackboxImage, loadBlackboxImages, rotateGray } from './blackbox-images.js';

/**
 * Symbols of an image other than the one its .txt names: qrcode-2/16 is a "double QR", a small code
 * printed inside the modules of a larger one; the .txt holds the outer code's text.
 */
const OTHER_SYMBOLS: Readonly<Record<string, readonly string[]>> = {
  'qrcode-2/16': ['[内側QRコード]\r\n\r\n*ダブルQR*\r\nhttp://d-qr.net/ex/'],
};

interface Tally {
  read: number;
  misreads: string[];
  aimMismatches: string[];
}

let images: BlackboxImage[] = [];
beforeAll(() => {
  images = loadBlackboxImages();
});

async function tally(decoder: FrameDecoder): Promise<Tally> {
  const result: Tally = { read: 0, misreads: [], aimMismatches: [] };
  for (const image of images) {
    for (const degrees of BLACKBOX_ROTATIONS) {
      const scans = await decoder.decode(rotateGray(image.frame, degrees));
      const known = [image.expected, ...(OTHER_SYMBOLS[image.name] ?? [])];
      for (const scan of scans) {
        if (!known.includes(scan.text))
          result.misreads.push(`${image.name}@${degrees}: ${JSON.stringify(scan.text)}`);
      }
      const hit = scans.find((scan) => scan.text === image.expected);
      if (hit === undefined) continue;
      result.read++;
      if (hit.aimId === undefined || (image.aimId !== undefined && hit.aimId !== image.aimId)) {
        result.aimMismatches.push(`${image.name}@${degrees}: ${hit.aimId} ≠ ${image.aimId}`);
      }
    }
  }
  return result;
}

describe('ZXing QR blackbox images', () => {
  it('are all there: 179 images with their expected texts', () => {
    expect(images).toHaveLength(179);
    expect(images.filter((i) => i.aimId !== undefined).length).toBeGreaterThan(0);
  });

  describe('zxing-wasm', () => {
    const decoders: FrameDecoder[] = [];
    afterAll(() => {
      for (const decoder of decoders) decoder.close?.();
    });

    it('default options: at least 660 of 716, no misread, every AIM identifier as ZXing expects', async () => {
      const decoder = await createZxingWasmDecoder();
      decoders.push(decoder);
      const result = await tally(decoder);
      expect(result.misreads).toEqual([]);
      expect(result.aimMismatches).toEqual([]);
      expect(result.read).toBeGreaterThanOrEqual(660);
    });

    it('maxSymbols 4: every symbol of a frame, 664; with thorough effort too, 668; no misread', async () => {
      for (const [options, atLeast] of [
        [{ maxSymbols: 4 }, 664],
        [{ maxSymbols: 4, effort: 'thorough' as const }, 668],
        [{ effort: 'thorough' as const }, 664],
      ] as const) {
        const decoder = await createZxingWasmDecoder(options);
        decoders.push(decoder);
        const result = await tally(decoder);
        expect(result.misreads, JSON.stringify(options)).toEqual([]);
        expect(result.read, JSON.stringify(options)).toBeGreaterThanOrEqual(atLeast);
      }
    });

    it('by default it stops at the first symbol: the inner code of the double QR, never a wrong text', async () => {
      const decoder = await createZxingWasmDecoder();
      decoders.push(decoder);
      const double = images.find((i) => i.name === 'qrcode-2/16')!;
      const texts = (await decoder.decode(double.frame)).map((s) => s.text);
      expect(texts).toHaveLength(1);
      expect([double.expected, ...OTHER_SYMBOLS['qrcode-2/16']!]).toContain(texts[0]);
    });
  });

  describe('@zxing/library', () => {
    it('default options: at least 606 of 716, no misread, a QR AIM identifier on every read', async () => {
      const decoder = await createZxingLibraryDecoder();
      const result = await tally(decoder);
      decoder.close?.();
      expect(result.misreads).toEqual([]);
      expect(result.aimMismatches).toEqual([]);
      expect(result.read).toBeGreaterThanOrEqual(606);
    });

    it('tryHarder and pureBarcode: at least 608, no misread', async () => {
      const decoder = await createZxingLibraryDecoder({ tryHarder: true, pureBarcode: true });
      const result = await tally(decoder);
      decoder.close?.();
      expect(result.misreads).toEqual([]);
      expect(result.read).toBeGreaterThanOrEqual(608);
    });
  });
});
