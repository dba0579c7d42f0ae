// ZXing's QR "blackbox" test images (test/fixtures/zxing-blackbox, Apache-2.0, see the NOTICE there)
// as gray camera frames: each PNG decoded to luma, with its expected text and AIM identifier, and
// turned by 0/90/180/270 degrees as ZXing's own AbstractBlackBoxTestCase turns them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { CameraFrame } from '../../../adapters/camera/frame-decoder.js';

export const BLACKBOX_DIR = join(import.meta.dirname, '../../fixtures/zxing-blackbox');
export const BLACKBOX_ROTATIONS = [0, 90, 180, 270] as const;

export interface BlackboxImage {
  /** `qrcode-2/14`. */
  name: string;
  frame: CameraFrame & { format: 'gray'; data: Uint8Array };
  /** The `.txt` next to the image, read as UTF-8 (as ZXing's test reads it). */
  expected: string;
  /** `SYMBOLOGY_IDENTIFIER` from the `.metadata.txt`, when there is one. */
  aimId: string | undefined;
}

/** Every image of the qrcode-1 … qrcode-6 folders, in a stable order. */
export function loadBlackboxImages(dir = BLACKBOX_DIR): BlackboxImage[] {
  const images: BlackboxImage[] = [];
  for (const set of readdirSync(dir)
    .filter((d) => d.startsWith('qrcode-'))
    .sort()) {
    const setDir = join(dir, set);
    const names = readdirSync(setDir)
      .filter((f) => f.endsWith('.png'))
      .map((f) => f.slice(0, -4))
      .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    for (const base of names) {
      const expected = readFileSync(join(setDir, `${base}.txt`), 'utf8');
      let aimId: string | undefined;
      try {
        const meta = readFileSync(join(setDir, `${base}.metadata.txt`), 'utf8');
        aimId = /^SYMBOLOGY_IDENTIFIER=(.*)$/m.exec(meta)?.[1]?.trim();
      } catch {
        aimId = undefined;
      }
      images.push({
        name: `${set}/${base}`,
        frame: decodePngToGray(readFileSync(join(setDir, `${base}.png`))),
        expected,
        aimId,
      });
    }
  }
  return images;
}

/** The frame turned clockwise by `degrees` (a multiple of 90). */
export function rotateGray(frame: BlackboxImage['frame'], degrees: number): BlackboxImage['frame'] {
  const { width: w, height: h, data } = frame;
  if (degrees % 360 === 0) return frame;
  const turns = (((degrees / 90) % 4) + 4) % 4;
  const outW = turns === 2 ? w : h;
  const outH = turns === 2 ? h : w;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let nx: number;
      let ny: number;
      if (turns === 1) {
        nx = h - 1 - y;
        ny = x;
      } else if (turns === 2) {
        nx = w - 1 - x;
        ny = h - 1 - y;
      } else {
        nx = y;
        ny = w - 1 - x;
      }
      out[ny * outW + nx] = data[y * w + x]!;
    }
  }
  return { width: outW, height: outH, format: 'gray', data: out };
}

/**
 * Enough of PNG for these images: non-interlaced, bit depth ≤ 8, gray, RGB, palette, gray+alpha or
 * RGBA (alpha composed over white, as a printed page). Luma by BT.601, as rgbaToGray computes it.
 */
export function decodePngToGray(png: Buffer): BlackboxImage['frame'] {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = 0;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      depth = body[8]!;
      colorType = body[9]!;
      if (body[12] !== 0) throw new Error('interlaced PNG');
      if (depth > 8) throw new Error('16-bit PNG');
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
  }
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  if (channels === undefined) throw new Error(`PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const bitsPerPixel = channels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rows = Buffer.alloc(stride * height);
  let previous = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = rows.subarray(y * stride, (y + 1) * stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = previous[i]!;
      const c = i >= bpp ? previous[i - bpp]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[i] = (line[i]! + predictor) & 0xff;
    }
    previous = row;
  }
  const sample = (row: Buffer, index: number): number => {
    if (depth === 8) return row[index]!;
    const bit = index * depth;
    return (row[bit >> 3]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  const gray = new Uint8Array(width * height);
  const luma = (r: number, g: number, b: number) => (306 * r + 601 * g + 117 * b + 512) >> 10;
  const overWhite = (v: number, alpha: number) => Math.round((v * alpha + 255 * (255 - alpha)) / 255);
  for (let y = 0; y < height; y++) {
    const row = rows.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < width; x++) {
      let value: number;
      if (colorType === 3) {
        const index = sample(row, x);
        const alpha = transparency?.[index] ?? 255;
        const [r, g, b] = [palette![index * 3]!, palette![index * 3 + 1]!, palette![index * 3 + 2]!];
        value = overWhite(luma(r, g, b), alpha);
      } else if (colorType === 0) {
        value = Math.round((sample(row, x) * 255) / ((1 << depth) - 1));
      } else if (colorType === 4) {
        value = overWhite(row[x * 2]!, row[x * 2 + 1]!);
      } else {
        const i = x * channels;
        value = luma(row[i]!, row[i + 1]!, row[i + 2]!);
        if (colorType === 6) value = overWhite(value, row[i + 3]!);
      }
      gray[y * width + x] = value;
    }
  }
  return { width, height, format: 'gray', data: gray };
}
