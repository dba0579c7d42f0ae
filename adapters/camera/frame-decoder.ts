import { XinyiError } from '../../sdk/errors.js';
import { type Scan, SYMBOLOGIES, type Symbology } from '../scanner/scan.js';

/**
 * One still image from a camera, top row first, rows packed without padding. `gray` holds one luma
 * byte per pixel (a camera's Y plane); `rgba` holds four bytes per pixel (canvas `ImageData`).
 */
export interface CameraFrame {
  width: number;
  height: number;
  format: 'gray' | 'rgba';
  data: Uint8Array | Uint8ClampedArray;
}

/**
 * Finds codes in camera frames. "Nothing found" is an empty array, never an error; a decoder never
 * returns text that failed its symbology's checks (Reed–Solomon, check digits). Decoding a frame is
 * synchronous work behind a promise, so callers run one decode at a time per decoder.
 *
 * Every scan carries the symbol's exact text (control characters such as GS, RS, EOT, SOH kept as
 * they are, never rendered as `<GS>` or escaped), its symbology and its AIM symbology identifier
 * (`aimId`, ISO/IEC 15424); both backends give the same text for the same symbol.
 */
export interface FrameDecoder {
  /** Identifies the backend in logs and bench output (`zxing-wasm`, `@zxing/library`). */
  readonly name: string;
  /**
   * Decodes one frame. Rejects with `INVALID_ARGUMENT` when the frame's size does not match its
   * data, and with `CLOSED` after `close()`. Scans carry `source: 'camera'`.
   */
  decode(frame: CameraFrame): Promise<Scan[]>;
  /** Releases buffers the decoder holds (wasm memory). Idempotent. */
  close?(): void;
}

/** Options every `FrameDecoder` factory accepts. */
export interface FrameDecoderOptions {
  /**
   * The symbologies to look for; every extra one costs time on every frame, most of all 1D ones.
   * A symbology the backend cannot read is rejected with `INVALID_OPTIONS`.
   * @default ['qr', 'ean-13', 'code-128']
   */
  symbologies?: readonly Symbology[];
  /**
   * Also look for inverted codes (light modules on a dark background: a phone in dark mode) when
   * the normal pass finds nothing. Roughly doubles the cost of an empty frame.
   * @default true
   */
  tryInverted?: boolean;
}

export const DEFAULT_CAMERA_SYMBOLOGIES: readonly Symbology[] = ['qr', 'ean-13', 'code-128'];

/** Area of the quadrilateral a decoder located the symbol in, in square pixels (shoelace formula). */
export function quadAreaPx(corners: ReadonlyArray<{ x: number; y: number }>): number {
  let twice = 0;
  for (let i = 0; i < corners.length; i++) {
    const a = corners[i]!;
    const b = corners[(i + 1) % corners.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return Math.round(Math.abs(twice) / 2);
}

/** Options with their defaults applied; throws `INVALID_OPTIONS` naming the bad option. */
export function resolveFrameDecoderOptions(
  owner: string,
  options: FrameDecoderOptions = {},
  supported: readonly Symbology[] = SYMBOLOGIES,
): { symbologies: readonly Symbology[]; tryInverted: boolean } {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', `${owner}: options must be an object`);
  }
  const symbologies = options.symbologies ?? DEFAULT_CAMERA_SYMBOLOGIES;
  if (!Array.isArray(symbologies) || symbologies.length === 0) {
    throw new XinyiError('INVALID_OPTIONS', `${owner}: symbologies must be a non-empty array`);
  }
  for (const symbology of symbologies) {
    if (!supported.includes(symbology)) {
      throw new XinyiError('INVALID_OPTIONS', `${owner}: symbologies: cannot read '${String(symbology)}'`, {
        details: { option: 'symbologies' },
      });
    }
  }
  const tryInverted = options.tryInverted ?? true;
  if (typeof tryInverted !== 'boolean') {
    throw new XinyiError('INVALID_OPTIONS', `${owner}: tryInverted must be a boolean`);
  }
  return { symbologies: [...new Set(symbologies)], tryInverted };
}

/** Throws `INVALID_ARGUMENT` unless the frame is well formed (positive integer size, matching data length). */
export function validateCameraFrame(frame: CameraFrame): void {
  if (frame === null || typeof frame !== 'object') {
    throw new XinyiError('INVALID_ARGUMENT', 'camera frame must be an object');
  }
  const { width, height, format, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new XinyiError('INVALID_ARGUMENT', 'camera frame width and height must be positive integers');
  }
  if (format !== 'gray' && format !== 'rgba') {
    throw new XinyiError('INVALID_ARGUMENT', "camera frame format must be 'gray' or 'rgba'");
  }
  // By tag rather than instanceof, so that arrays from another realm (a worker, a vm context) pass too.
  const tag = ArrayBuffer.isView(data) ? (data as Uint8Array)[Symbol.toStringTag] : undefined;
  if (tag !== 'Uint8Array' && tag !== 'Uint8ClampedArray') {
    throw new XinyiError('INVALID_ARGUMENT', 'camera frame data must be a Uint8Array or Uint8ClampedArray');
  }
  const expected = width * height * (format === 'rgba' ? 4 : 1);
  if (data.length !== expected) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      `camera frame data holds ${data.length} bytes; ${width}×${height} ${format} needs ${expected}`,
      { details: { width, height, format, bytes: data.length, expected } },
    );
  }
}

/** Luma of an RGBA frame into `out` (BT.601 weights in 10-bit fixed point, as zxing-wasm computes it). */
export function rgbaToGray(rgba: Uint8Array | Uint8ClampedArray, out: Uint8Array | Uint8ClampedArray): void {
  const pixels = rgba.length >> 2;
  for (let i = 0, j = 0; i < pixels; i++, j += 4) {
    out[i] = (306 * rgba[j]! + 601 * rgba[j + 1]! + 117 * rgba[j + 2]! + 512) >> 10;
  }
}
