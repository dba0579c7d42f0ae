import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CameraFrame } from '../../../adapters/camera/frame-decoder.js';
import { createZxingWasmDecoder } from '../../../adapters/camera/index.js';
import { syntheticCreditCodeText } from '../../../simulator/camera/frame-generator.js';
import { encodePng } from '../../../simulator/panel/png.js';
import { encodeQr, type QrMatrix, qrSvg } from '../../../simulator/panel/qr-image.js';

/** Rasterises the SVG's path (`M x y h w v1 h-w z` runs) at `scale` pixels a module, as a screen would. */
function rasteriseSvg(svg: string, scale: number): CameraFrame {
  const [, size] = svg.match(/viewBox="0 0 (\d+) \d+"/)!;
  const full = Number(size);
  const width = full * scale;
  const data = new Uint8Array(width * width).fill(255);
  for (const [, x, y, w] of svg.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let dy = 0; dy < scale; dy++) {
      const row = (Number(y) * scale + dy) * width;
      data.fill(0, row + Number(x) * scale, row + (Number(x) + Number(w)) * scale);
    }
  }
  return { width, height: width, format: 'gray', data };
}

describe('the panel QR image', () => {
  it('is an SVG a decoder reads back as the same credit code, quiet zone included', async () => {
    const text = syntheticCreditCodeText('panel-test');
    const matrix = await encodeQr(text);
    // A 306-character QZ1 code is a version-10 symbol at ECC M (docs/credit-domain.md §4.2).
    expect(matrix.size).toBe(57);
    const svg = qrSvg(matrix, { title: 'code <of> "person" 3' });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 65 65"/);
    expect(svg).toContain('<title>code &#60;of&#62; &#34;person&#34; 3</title>');
    const decoder = await createZxingWasmDecoder();
    const scans = await decoder.decode(rasteriseSvg(svg, 4));
    expect(scans.map((s) => s.text)).toEqual([text]);
  });

  it('draws one run per horizontal stretch of dark modules, inside the quiet zone', () => {
    const matrix: QrMatrix = { size: 3, dark: [true, true, false, false, false, false, true, false, true] };
    const svg = qrSvg(matrix);
    expect([...svg.matchAll(/M(\d+) (\d+)h(\d+)/g)].map((m) => m.slice(1).join(','))).toEqual([
      '4,4,2',
      '4,6,1',
      '6,6,1',
    ]);
  });
});

/** CRC-32 (ISO 3309) bit by bit, independent of the encoder's table. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('the panel camera PNG', () => {
  it('holds the frame pixels, scanline by scanline, with valid chunk CRCs', () => {
    const frame: CameraFrame = {
      width: 3,
      height: 2,
      format: 'gray',
      data: Uint8Array.from([0, 128, 255, 7, 8, 9]),
    };
    const png = encodePng(frame);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const chunks: { type: string; data: Buffer }[] = [];
    for (let at = 8; at < png.length; ) {
      const length = png.readUInt32BE(at);
      const type = png.toString('latin1', at + 4, at + 8);
      chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) });
      expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
      at += 12 + length;
    }
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([3, 2, 8, 0]);
    expect([...inflateSync(chunks[1]!.data)]).toEqual([0, 0, 128, 255, 0, 7, 8, 9]);
  });
});
