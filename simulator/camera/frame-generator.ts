// Synthetic camera frames for the camera decoders' tests and bench, rebuilt from the method in
// docs/decoder-bench.md §3: a cluttered scene, a code on a phone screen (QR) or a printed label (1D)
// mapped through a projective transform with 3×3 supersampling, a Gaussian blur for the optics,
// then Gaussian sensor noise.
import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer';
import type { CameraFrame } from '../../adapters/camera/frame-decoder.js';
import { localZxingWasm } from '../../adapters/camera/zxing-wasm-decoder.js';
import { XinyiError } from '../../sdk/errors.js';
import { createRng, type Rng } from '../prng.js';

/** The frame variants of docs/decoder-bench.md §3. */
export const CAMERA_FRAME_VARIANTS = [
  'clean',
  'noise',
  'lowcontrast',
  'blur',
  'rot10',
  'rot45',
  'perspective',
  'inverted',
  'empty-flat',
  'empty-clutter',
] as const;
export type CameraFrameVariant = (typeof CAMERA_FRAME_VARIANTS)[number];

/** The variants that hold a code (all but the two `empty-*`). */
export const CODE_FRAME_VARIANTS: readonly CameraFrameVariant[] = CAMERA_FRAME_VARIANTS.filter(
  (v) => !v.startsWith('empty'),
);

/** Codes the generator can draw. */
export type GeneratedCodeKind = 'qr' | 'ean-13' | 'code-128';

export interface CameraFrameSpec {
  /** Same seed and spec, same frame, byte for byte. */
  seed: number | string;
  width: number;
  height: number;
  /**
   * `clean`: 0° (1D labels ±5°), blur σ 0.7 px (1D 0.8), noise σ 3 (1D 4), dark/light 30/225.
   * `noise` σ 20; `lowcontrast` 100/145 (a dim screen); `blur` σ 1.3 (defocus); `noise`,
   * `lowcontrast`, `blur` also rotate ±3°. `rot10`/`rot45` ±10°/±45°. `perspective`: 5° and the
   * code's top edge 14% narrower on each side (~25–30° tilt). `inverted`: light modules on a dark
   * screen (dark mode). `empty-flat`: gradient and noise only. `empty-clutter`: the cluttered
   * scene without a code; 60% of them show a phone with a blank white screen.
   * @default 'clean'
   */
  variant?: CameraFrameVariant;
  /** @default 'qr' */
  code?: GeneratedCodeKind;
  /**
   * The text to encode. Default: a synthetic credit code (`QZ1:` + Base45, 306 characters, QR
   * version 10 at ECC M, docs/credit-domain.md §4.2), a random EAN-13 with a `69` prefix and a valid
   * check digit, or a 13-character library-card number for Code 128.
   */
  payload?: string;
  /** Pixels per module at the code's centre. Overrides `sizeFraction`. */
  modulePx?: number;
  /**
   * The symbol's size (quiet zone excluded): its height as a fraction of the frame's height for QR,
   * its width as a fraction of the frame's width for 1D. Default: random in 0.25–0.40 (QR),
   * 0.35–0.55 (EAN-13), 0.50–0.80 (Code 128), as in the reference corpus.
   */
  sizeFraction?: number;
  /** Rotation of the code in degrees, overriding the variant's (for 1D codes held upright, say). */
  rotationDeg?: number;
  /** @default 'gray' */
  format?: 'gray' | 'rgba';
}

export interface GeneratedCameraFrame {
  frame: CameraFrame;
  variant: CameraFrameVariant;
  /** `null` for the empty variants. */
  code: GeneratedCodeKind | null;
  /** What a decoder must return; `null` for the empty variants. */
  payload: string | null;
  /** Pixels per module at the code's centre; `null` for the empty variants. */
  modulePx: number | null;
  /** Modules across the symbol (57 for a version-10 QR, 95 for EAN-13); `null` for the empty variants. */
  modules: number | null;
  /** Rotation of the code in degrees; `null` for the empty variants. */
  rotationDeg: number | null;
}

export interface CameraCorpusSpec {
  seed: number | string;
  width: number;
  height: number;
  /** Frames per (variant, code). @default 10 */
  instances?: number;
  /** @default every variant */
  variants?: readonly CameraFrameVariant[];
  /** Codes drawn in the code variants. @default ['qr'] */
  codes?: readonly GeneratedCodeKind[];
  format?: 'gray' | 'rgba';
}

interface CodeMatrix {
  /** Modules across. */
  width: number;
  /** Module rows (1 for 1D). */
  height: number;
  /** 1 = dark module. */
  dark: Uint8Array;
}

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** RFC 9285 Base45. */
function base45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i]! * 256 + bytes[i + 1]!;
    for (let k = 0; k < 3; k++) {
      out += BASE45[n % 45];
      n = Math.floor(n / 45);
    }
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += BASE45[n % 45]! + BASE45[Math.floor(n / 45)]!;
  }
  return out;
}

/**
 * A synthetic signed credit code of the real size: `QZ1:` + Base45 of 201 random bytes = 306
 * characters (docs/credit-domain.md §4.2). It has the shape of a credit code, not valid signatures.
 */
export function syntheticCreditCodeText(seed: number | string): string {
  const rng = createRng(`credit-code:${seed}`);
  const bytes = new Uint8Array(201);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255);
  return `QZ1:${base45(bytes)}`;
}

function syntheticEan13(rng: Rng): string {
  let digits = '69';
  while (digits.length < 12) digits += String(rng.int(0, 9));
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
  return digits + String((10 - (sum % 10)) % 10);
}

function syntheticCode128(rng: Rng): string {
  let text = 'LIB-';
  while (text.length < 13) text += String(rng.int(0, 9));
  return text;
}

/** The default payload depends on the seed only, so one seed gives the same code in every variant. */
function syntheticPayload(kind: GeneratedCodeKind, seed: number | string): string {
  if (kind === 'qr') return syntheticCreditCodeText(seed);
  const rng = createRng(`payload:${kind}:${seed}`);
  return kind === 'ean-13' ? syntheticEan13(rng) : syntheticCode128(rng);
}

let writerReady: Promise<unknown> | undefined;

// A corpus draws each payload in every variant and resolution; the matrix is the same every time.
const matrixCache = new Map<string, Promise<CodeMatrix>>();
const MATRIX_CACHE_SIZE = 64;

/**
 * The code's module matrix from zxing-wasm's writer (zxing-cpp + zint), loaded from the package. A QR
 * payload with characters beyond ASCII is written as UTF-8 behind ECI 26, as phone apps write it;
 * without an ECI the writer would pick Shift_JIS Kanji for CJK text and a reader would have to guess.
 */
function encode(kind: GeneratedCodeKind, payload: string): Promise<CodeMatrix> {
  const key = `${kind}\u0000${payload}`;
  const cached = matrixCache.get(key);
  if (cached) return cached;
  const pending = (async () => {
    writerReady ??= prepareZXingModule({
      overrides: localZxingWasm('writer'),
      equalityFn: Object.is,
      fireImmediately: true,
    }).catch((error: unknown) => {
      writerReady = undefined;
      throw error;
    });
    await writerReady;
    const format = kind === 'qr' ? 'QRCode' : kind === 'ean-13' ? 'EAN13' : 'Code128';
    const utf8Eci = kind === 'qr' && [...payload].some((ch) => ch.codePointAt(0)! > 0x7f);
    const result = await writeBarcode(payload, {
      format,
      scale: 1,
      withQuietZones: false,
      ...(kind === 'qr' ? { options: `ecLevel=M${utf8Eci ? ',eci=26' : ''}` } : {}),
    });
    if (result.error) {
      throw new XinyiError('INVALID_ARGUMENT', `cannot encode the payload as ${kind}: ${result.error}`);
    }
    const { symbol } = result;
    // The writer returns one byte per module, 0 = dark; a 1D symbol's first row holds every bar.
    const rows = kind === 'qr' ? symbol.height : 1;
    const dark = new Uint8Array(symbol.width * rows);
    for (let i = 0; i < dark.length; i++) dark[i] = symbol.data[i] === 0 ? 1 : 0;
    return { width: symbol.width, height: rows, dark };
  })();
  pending.catch(() => matrixCache.delete(key));
  matrixCache.set(key, pending);
  if (matrixCache.size > MATRIX_CACHE_SIZE) matrixCache.delete(matrixCache.keys().next().value!);
  return pending;
}

/** Gaussian samples by table lookup: the noise is i.i.d., and a per-pixel Box–Muller would dominate the frame time. */
const NORMAL_TABLE_BITS = 12;
const NORMAL_TABLE = (() => {
  const n = 1 << NORMAL_TABLE_BITS;
  const table = new Float32Array(n);
  for (let i = 0; i < n; i++) table[i] = inverseNormal((i + 0.5) / n);
  return table;
})();

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const tail = (q: number) =>
    (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

interface VariantLook {
  maxRotationDeg: number;
  /** Exact rotation magnitude (sign random) instead of a range. */
  fixedRotation: boolean;
  blurSigma: number;
  noiseSigma: number;
  dark: number;
  light: number;
  keystone: number;
}

function look(variant: CameraFrameVariant, kind: GeneratedCodeKind): VariantLook {
  const oneD = kind !== 'qr';
  const base: VariantLook = {
    maxRotationDeg: oneD ? 5 : 0,
    fixedRotation: false,
    blurSigma: oneD ? 0.8 : 0.7,
    noiseSigma: oneD ? 4 : 3,
    dark: 30,
    light: 225,
    keystone: 0,
  };
  const tilt = Math.max(base.maxRotationDeg, 3);
  switch (variant) {
    case 'noise':
      return { ...base, maxRotationDeg: tilt, noiseSigma: 20 };
    case 'lowcontrast':
      return { ...base, maxRotationDeg: tilt, dark: 100, light: 145 };
    case 'blur':
      return { ...base, maxRotationDeg: tilt, blurSigma: 1.3 };
    case 'rot10':
      return { ...base, maxRotationDeg: 10, fixedRotation: true };
    case 'rot45':
      return { ...base, maxRotationDeg: 45, fixedRotation: true };
    case 'perspective':
      return { ...base, maxRotationDeg: 5, fixedRotation: true, keystone: 0.14 };
    case 'inverted':
      return { ...base, dark: 225, light: 25 };
    default:
      return base;
  }
}

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** The projective map taking the four `from` points onto the four `to` points (row-major 3×3, h33 = 1). */
function homography(
  from: readonly (readonly [number, number])[],
  to: readonly (readonly [number, number])[],
): Mat3 {
  const m: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    m.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    m.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let row = col + 1; row < 8; row++)
      if (Math.abs(m[row]![col]!) > Math.abs(m[pivot]![col]!)) pivot = row;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]!;
    for (let row = 0; row < 8; row++) {
      if (row === col) continue;
      const r = m[row]!;
      const f = r[col]! / p[col]!;
      if (f !== 0) for (let k = col; k < 9; k++) r[k]! -= f * p[k]!;
    }
  }
  const h = m.map((row, i) => row[8]! / row[i]!);
  return [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1];
}

function apply(h: Mat3, x: number, y: number): [number, number] {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

/**
 * A flat object in the scene (phone or label) in its own units, one unit per module: every edge sits
 * on the unit grid, so one shade per unit cell describes it exactly.
 */
interface Carrier {
  width: number;
  height: number;
  /** One shade per unit cell, row-major. */
  shades: Float32Array;
  /** The code's centre on the carrier. */
  codeCentre: [number, number];
  /** The code's corners (quiet zone excluded), TL TR BR BL. */
  codeCorners: [number, number][];
  /** Corners including the quiet zone: these must land inside the frame. */
  keepInside: [number, number][];
}

function phoneCarrier(
  matrix: CodeMatrix | null,
  colours: { dark: number; light: number },
  bezel: number,
): Carrier {
  const n = matrix?.width ?? 57;
  const quiet = 4;
  const screenW = n + 2 * quiet + 4;
  const screenH = Math.round(screenW * 1.7);
  const border = Math.max(2, Math.round(screenW * 0.07));
  const width = screenW + 2 * border;
  const height = screenH + 2 * border;
  const codeX = border + (screenW - n) / 2;
  const codeY = border + Math.round(screenH * 0.4 - n / 2);
  const shades = new Float32Array(width * height).fill(bezel);
  for (let v = border; v < height - border; v++)
    shades.fill(colours.light, v * width + border, (v + 1) * width - border);
  if (matrix) {
    for (let my = 0; my < n; my++) {
      for (let mx = 0; mx < n; mx++) {
        if (matrix.dark[my * n + mx]) shades[(codeY + my) * width + codeX + mx] = colours.dark;
      }
    }
  }
  return {
    width,
    height,
    shades,
    codeCentre: [codeX + n / 2, codeY + n / 2],
    codeCorners: [
      [codeX, codeY],
      [codeX + n, codeY],
      [codeX + n, codeY + n],
      [codeX, codeY + n],
    ],
    keepInside: [
      [codeX - quiet, codeY - quiet],
      [codeX + n + quiet, codeY - quiet],
      [codeX + n + quiet, codeY + n + quiet],
      [codeX - quiet, codeY + n + quiet],
    ],
  };
}

function labelCarrier(
  matrix: CodeMatrix,
  colours: { dark: number; light: number },
  barHeightRatio: number,
): Carrier {
  const n = matrix.width;
  const quiet = 11;
  const barHeight = Math.round(n * barHeightRatio);
  const margin = 4;
  const width = n + 2 * quiet;
  const height = barHeight + 2 * margin + 8;
  const codeX = quiet;
  const codeY = margin;
  const shades = new Float32Array(width * height).fill(colours.light);
  for (let v = codeY; v < codeY + barHeight; v++) {
    for (let mx = 0; mx < n; mx++) if (matrix.dark[mx]) shades[v * width + codeX + mx] = colours.dark;
  }
  return {
    width,
    height,
    shades,
    codeCentre: [codeX + n / 2, codeY + barHeight / 2],
    codeCorners: [
      [codeX, codeY],
      [codeX + n, codeY],
      [codeX + n, codeY + barHeight],
      [codeX, codeY + barHeight],
    ],
    keepInside: [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ],
  };
}

/**
 * Draws `carrier` through `toImage` (carrier → image) onto `img`, averaging 3×3 samples per pixel.
 * A pixel whose four corner samples and centre fall on the same shade takes it directly: with at
 * least one pixel per module nothing else can lie between them, and it saves most of the samples.
 */
function renderCarrier(
  img: Float32Array,
  width: number,
  height: number,
  carrier: Carrier,
  toImage: Mat3,
): void {
  const corners = [
    [0, 0],
    [carrier.width, 0],
    [carrier.width, carrier.height],
    [0, carrier.height],
  ] as const;
  const projected = corners.map(([u, v]) => apply(toImage, u, v));
  const toCarrier = homography(projected, corners);
  const xs = projected.map((p) => p[0]);
  const ys = projected.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const x1 = Math.min(width - 1, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(...ys)));
  const [a, b, c, d, e, f, g, h, k] = toCarrier;
  const cw = carrier.width;
  const ch = carrier.height;
  const shades = carrier.shades;
  /** The shade at image point (px, py), or -1 off the carrier. */
  const sample = (px: number, py: number): number => {
    const w = g * px + h * py + k;
    const u = (a * px + b * py + c) / w;
    const v = (d * px + e * py + f) / w;
    if (u < 0 || v < 0 || u >= cw || v >= ch) return -1;
    return shades[(v | 0) * cw + (u | 0)]!;
  };
  const S = 3;
  const lo = 0.5 / S;
  const hi = 1 - lo;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = y * width + x;
      const s0 = sample(x + lo, y + lo);
      if (
        s0 >= 0 &&
        s0 === sample(x + hi, y + lo) &&
        s0 === sample(x + lo, y + hi) &&
        s0 === sample(x + hi, y + hi) &&
        s0 === sample(x + 0.5, y + 0.5)
      ) {
        img[i] = s0;
        continue;
      }
      let sum = 0;
      let inside = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const shade = sample(x + (sx + 0.5) / S, y + (sy + 0.5) / S);
          if (shade < 0) continue;
          sum += shade;
          inside++;
        }
      }
      if (inside > 0) img[i] = (sum + img[i]! * (S * S - inside)) / (S * S);
    }
  }
}

function fillRect(
  img: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  w: number,
  h: number,
  value: number,
): void {
  const xa = Math.max(0, Math.round(x));
  const ya = Math.max(0, Math.round(y));
  const xb = Math.min(width, Math.round(x + w));
  const yb = Math.min(height, Math.round(y + h));
  for (let yy = ya; yy < yb; yy++) img.fill(value, yy * width + xa, yy * width + Math.max(xa, xb));
}

/** A grey gradient with boxes, cables and printed labels covered in glyph-like blocks. */
function drawScene(img: Float32Array, width: number, height: number, rng: Rng, clutter: boolean): void {
  const base = 90 + rng.next() * 80;
  const gx = (rng.next() - 0.5) * 70;
  const gy = (rng.next() - 0.5) * 70;
  for (let y = 0; y < height; y++) {
    const row = base + (gy * y) / height;
    for (let x = 0; x < width; x++) img[y * width + x] = row + (gx * x) / width;
  }
  if (!clutter) return;
  const unit = height / 480;
  const boxes = rng.int(3, 7);
  for (let i = 0; i < boxes; i++) {
    const w = width * (0.08 + rng.next() * 0.3);
    const h = height * (0.08 + rng.next() * 0.3);
    const x = rng.next() * width - w / 4;
    const y = rng.next() * height - h / 4;
    const shade = 40 + rng.next() * 160;
    fillRect(img, width, height, x, y, w, h, shade - 25);
    const edge = Math.max(1, 2 * unit);
    fillRect(img, width, height, x + edge, y + edge, w - 2 * edge, h - 2 * edge, shade);
  }
  const cables = rng.int(2, 4);
  for (let i = 0; i < cables; i++) {
    const radius = (1.5 + rng.next() * 4) * unit;
    const shade = 15 + rng.next() * 45;
    const p0 = [rng.next() * width, rng.next() * height];
    const p1 = [rng.next() * width, rng.next() * height];
    const p2 = [rng.next() * width, rng.next() * height];
    const length =
      Math.hypot(p1[0]! - p0[0]!, p1[1]! - p0[1]!) + Math.hypot(p2[0]! - p1[0]!, p2[1]! - p1[1]!);
    const steps = Math.ceil(length / Math.max(1, radius / 2));
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      const cx = (1 - t) ** 2 * p0[0]! + 2 * (1 - t) * t * p1[0]! + t ** 2 * p2[0]!;
      const cy = (1 - t) ** 2 * p0[1]! + 2 * (1 - t) * t * p1[1]! + t ** 2 * p2[1]!;
      const r2 = radius * radius;
      for (
        let y = Math.max(0, Math.floor(cy - radius));
        y <= Math.min(height - 1, Math.ceil(cy + radius));
        y++
      ) {
        for (
          let x = Math.max(0, Math.floor(cx - radius));
          x <= Math.min(width - 1, Math.ceil(cx + radius));
          x++
        ) {
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r2) img[y * width + x] = shade;
        }
      }
    }
  }
  const labels = rng.int(2, 5);
  for (let i = 0; i < labels; i++) {
    const w = width * (0.1 + rng.next() * 0.2);
    const h = height * (0.06 + rng.next() * 0.15);
    const x = rng.next() * (width - w);
    const y = rng.next() * (height - h);
    fillRect(img, width, height, x, y, w, h, 200 + rng.next() * 40);
    const glyph = (4 + rng.next() * 6) * unit;
    const ink = 25 + rng.next() * 50;
    for (let ly = y + glyph * 0.6; ly + glyph < y + h; ly += glyph * 1.6) {
      let lx = x + glyph * 0.5;
      while (lx < x + w - glyph) {
        const word = rng.int(2, 8);
        for (let k = 0; k < word && lx < x + w - glyph; k++) {
          const gw = glyph * (0.3 + rng.next() * 0.6);
          const gh = glyph * (rng.chance(0.3) ? 0.6 : 1);
          fillRect(img, width, height, lx, ly + glyph - gh, gw, gh, ink);
          lx += gw + glyph * 0.25;
        }
        lx += glyph * 0.8;
      }
    }
  }
}

/**
 * Separable Gaussian blur with edges clamped, for σ ≤ 4/3 (every variant's σ is 0.7–1.3): the nine
 * taps are unrolled, which on the build machine is 3× faster than a loop over the kernel.
 */
function blur(img: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const R = 4;
  const k = [0, 0, 0, 0, 0];
  let total = 0;
  for (let i = -R; i <= R; i++) {
    const weight = Math.abs(i) <= Math.ceil(3 * sigma) ? Math.exp(-(i * i) / (2 * sigma * sigma)) : 0;
    if (i >= 0) k[i] = weight;
    total += weight;
  }
  const [k0, k1, k2, k3, k4] = k.map((w) => w / total) as [number, number, number, number, number];
  const tmp = new Float32Array(img.length);
  const p = new Float32Array(width + 2 * R);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    p.set(img.subarray(row, row + width), R);
    p.fill(img[row]!, 0, R);
    p.fill(img[row + width - 1]!, R + width);
    for (let x = 0; x < width; x++) {
      const c = x + R;
      tmp[row + x] =
        k0 * p[c]! +
        k1 * (p[c - 1]! + p[c + 1]!) +
        k2 * (p[c - 2]! + p[c + 2]!) +
        k3 * (p[c - 3]! + p[c + 3]!) +
        k4 * (p[c - 4]! + p[c + 4]!);
    }
  }
  const out = new Float32Array(img.length);
  const rowAt = (y: number) => Math.min(height - 1, Math.max(0, y)) * width;
  for (let y = 0; y < height; y++) {
    const c = y * width;
    const [m1, m2, m3, m4] = [rowAt(y - 1), rowAt(y - 2), rowAt(y - 3), rowAt(y - 4)];
    const [p1, p2, p3, p4] = [rowAt(y + 1), rowAt(y + 2), rowAt(y + 3), rowAt(y + 4)];
    for (let x = 0; x < width; x++) {
      out[c + x] =
        k0 * tmp[c + x]! +
        k1 * (tmp[m1 + x]! + tmp[p1 + x]!) +
        k2 * (tmp[m2 + x]! + tmp[p2 + x]!) +
        k3 * (tmp[m3 + x]! + tmp[p3 + x]!) +
        k4 * (tmp[m4 + x]! + tmp[p4 + x]!);
    }
  }
  return out;
}

function defaultFraction(kind: GeneratedCodeKind, rng: Rng): number {
  if (kind === 'qr') return 0.25 + rng.next() * 0.15;
  if (kind === 'ean-13') return 0.35 + rng.next() * 0.2;
  return 0.5 + rng.next() * 0.3;
}

function checkSpec(spec: CameraFrameSpec): void {
  const { width, height } = spec;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 64 ||
    height < 64 ||
    width * height > 16e6
  ) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      'frame width and height must be integers from 64 (at most 16 Mpx)',
    );
  }
  if (spec.variant !== undefined && !CAMERA_FRAME_VARIANTS.includes(spec.variant)) {
    throw new XinyiError('INVALID_ARGUMENT', `unknown frame variant '${String(spec.variant)}'`);
  }
  if (spec.code !== undefined && !['qr', 'ean-13', 'code-128'].includes(spec.code)) {
    throw new XinyiError('INVALID_ARGUMENT', `cannot draw code '${String(spec.code)}'`);
  }
  if (spec.modulePx !== undefined && !(spec.modulePx > 0.5 && spec.modulePx < 100)) {
    throw new XinyiError('INVALID_ARGUMENT', 'modulePx must be between 0.5 and 100');
  }
  if (spec.rotationDeg !== undefined && !Number.isFinite(spec.rotationDeg)) {
    throw new XinyiError('INVALID_ARGUMENT', 'rotationDeg must be a finite number');
  }
  if (spec.sizeFraction !== undefined && !(spec.sizeFraction > 0 && spec.sizeFraction <= 1)) {
    throw new XinyiError('INVALID_ARGUMENT', 'sizeFraction must be in (0, 1]');
  }
}

/**
 * Renders one synthetic camera frame (deterministic for a seed). A 1280×720 frame takes ~20–40 ms on
 * the build machine; the first QR code of a payload also waits for zxing-wasm's writer (cached after).
 */
export async function generateCameraFrame(spec: CameraFrameSpec): Promise<GeneratedCameraFrame> {
  checkSpec(spec);
  const { width, height } = spec;
  const variant = spec.variant ?? 'clean';
  const kind = spec.code ?? 'qr';
  const rng = createRng(`camera-frame:${spec.seed}:${variant}:${kind}:${width}x${height}`);
  const empty = variant === 'empty-flat' || variant === 'empty-clutter';
  const payload = empty ? null : (spec.payload ?? syntheticPayload(kind, spec.seed));
  const matrix = payload === null ? null : await encode(kind, payload);

  const img = new Float32Array(width * height);
  drawScene(img, width, height, rng, variant !== 'empty-flat');
  const style = look(variant, kind);
  let rotationDeg: number | null = null;
  let modulePx: number | null = null;

  const phoneWithoutCode = variant === 'empty-clutter' && rng.chance(0.6);
  if (matrix || phoneWithoutCode) {
    const carrier =
      kind === 'qr' || !matrix
        ? phoneCarrier(matrix, style, 15 + rng.next() * 20)
        : labelCarrier(
            matrix,
            { dark: style.dark + rng.next() * 10, light: style.light - rng.next() * 10 },
            // EAN-13 bars are ~0.7 of the symbol's width tall (22.85 of 31.35 mm); Code 128 labels are flatter.
            kind === 'ean-13' ? 0.7 : 0.25,
          );
    const symbolPx = matrix ? (kind === 'qr' ? height : width) : height;
    const modules = matrix?.width ?? 57;
    const pitch = spec.modulePx ?? ((spec.sizeFraction ?? defaultFraction(kind, rng)) * symbolPx) / modules;
    const sign = rng.chance(0.5) ? 1 : -1;
    const degrees =
      spec.rotationDeg ??
      (style.fixedRotation ? sign * style.maxRotationDeg : (rng.next() * 2 - 1) * style.maxRotationDeg);
    const theta = (degrees * Math.PI) / 180;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    // The code's corners relative to its centre, in pixels before rotation; the keystone narrows the top edge.
    const [cu, cv] = carrier.codeCentre;
    const local = carrier.codeCorners.map(([u, v], i): [number, number] => {
      let dx = (u - cu) * pitch;
      const dy = (v - cv) * pitch;
      if (i < 2) dx *= 1 - 2 * style.keystone;
      return [dx, dy];
    });
    const localToImage = (centre: [number, number]) =>
      homography(
        carrier.codeCorners,
        local.map(
          ([dx, dy]) =>
            [centre[0] + dx * cos - dy * sin, centre[1] + dx * sin + dy * cos] as [number, number],
        ),
      );
    let toImage = localToImage([width / 2, height / 2]);
    for (let attempt = 0; attempt < 30; attempt++) {
      const centre: [number, number] = [rng.next() * width, rng.next() * height];
      const candidate = localToImage(centre);
      const fits = carrier.keepInside.every(([u, v]) => {
        const [x, y] = apply(candidate, u, v);
        return x >= 1 && y >= 1 && x < width - 1 && y < height - 1;
      });
      if (fits) {
        toImage = candidate;
        break;
      }
    }
    renderCarrier(img, width, height, carrier, toImage);
    if (matrix) {
      rotationDeg = Math.round(degrees * 10) / 10;
      modulePx = Math.round(pitch * 100) / 100;
    }
  }

  const blurred = blur(img, width, height, style.blurSigma);
  const gray = new Uint8ClampedArray(width * height);
  const sigma = style.noiseSigma;
  // xorshift32 seeded from the frame's stream: a call through Rng per pixel would cost more than the blur.
  let state = rng.int(1, 0xffff_ffff) | 0;
  const mask = (1 << NORMAL_TABLE_BITS) - 1;
  for (let i = 0; i < gray.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    gray[i] = blurred[i]! + sigma * NORMAL_TABLE[state & mask]! + 0.5;
  }
  let frame: CameraFrame = { width, height, format: 'gray', data: gray };
  if (spec.format === 'rgba') frame = grayToRgba(frame);
  return {
    frame,
    variant,
    code: matrix ? kind : null,
    payload,
    modulePx,
    modules: matrix?.width ?? null,
    rotationDeg,
  };
}

/** The same picture as RGBA (grey pixels, opaque). */
export function grayToRgba(frame: CameraFrame): CameraFrame {
  if (frame.format === 'rgba') return frame;
  const rgba = new Uint8ClampedArray(frame.width * frame.height * 4);
  for (let i = 0, j = 0; i < frame.data.length; i++, j += 4) {
    const v = frame.data[i]!;
    rgba[j] = v;
    rgba[j + 1] = v;
    rgba[j + 2] = v;
    rgba[j + 3] = 255;
  }
  return { width: frame.width, height: frame.height, format: 'rgba', data: rgba };
}

/**
 * Frames for every (variant, code, instance): instance `i` of a code has the same payload in every
 * variant, and different instances differ in payload, size, position, clutter and noise. Empty
 * variants are generated once per instance, whatever `codes` holds.
 */
export async function* generateCameraCorpus(spec: CameraCorpusSpec): AsyncGenerator<GeneratedCameraFrame> {
  const instances = spec.instances ?? 10;
  const variants = spec.variants ?? CAMERA_FRAME_VARIANTS;
  const codes = spec.codes ?? ['qr'];
  for (const variant of variants) {
    const empty = variant === 'empty-flat' || variant === 'empty-clutter';
    for (const code of empty ? (['qr'] as const) : codes) {
      for (let i = 0; i < instances; i++) {
        yield await generateCameraFrame({
          seed: `${spec.seed}:${code}:${i}`,
          width: spec.width,
          height: spec.height,
          variant,
          code,
          ...(spec.format === undefined ? {} : { format: spec.format }),
        });
      }
    }
  }
}
