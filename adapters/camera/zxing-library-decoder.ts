import type { BarcodeFormat, DecodeHintType, LuminanceSource, Result } from '@zxing/library';
import { XinyiError } from '../../sdk/errors.js';
import type { Scan, Symbology } from '../scanner/scan.js';
import { aimIdForSymbology } from '../scanner/symbology.js';
import {
  type CameraFrame,
  type FrameDecoder,
  type FrameDecoderOptions,
  quadAreaPx,
  resolveFrameDecoderOptions,
  rgbaToGray,
  validateCameraFrame,
} from './frame-decoder.js';

type ZxingLibrary = typeof import('@zxing/library');

/** Options of {@link createZxingLibraryDecoder}. */
export interface ZxingLibraryDecoderOptions extends FrameDecoderOptions {
  /**
   * ZXing's `TRY_HARDER`: more scan lines and a slower, more thorough finder search. For still
   * images; with 1D symbologies it costs ~70 ms on an empty 640×480 frame (docs/scanners.md).
   * @default false
   */
  tryHarder?: boolean;
  /**
   * Try ZXing's `PURE_BARCODE` path first: the frame holds nothing but one upright code with its
   * quiet zone (a generated image, a scanned document), read without the detector. Frames where it
   * finds nothing go through the normal detector, so a camera frame is still read.
   * @default false
   */
  pureBarcode?: boolean;
}

const SYMBOLOGY_NAMES = [
  'qr',
  'data-matrix',
  'pdf417',
  'aztec',
  'ean-13',
  'ean-8',
  'upc-a',
  'upc-e',
  'code-128',
  'code-39',
  'code-93',
  'codabar',
  'itf',
] as const satisfies readonly Symbology[];

function formatsOf(zxing: ZxingLibrary): Record<(typeof SYMBOLOGY_NAMES)[number], BarcodeFormat> {
  const { BarcodeFormat: F } = zxing;
  return {
    qr: F.QR_CODE,
    'data-matrix': F.DATA_MATRIX,
    pdf417: F.PDF_417,
    aztec: F.AZTEC,
    'ean-13': F.EAN_13,
    'ean-8': F.EAN_8,
    'upc-a': F.UPC_A,
    'upc-e': F.UPC_E,
    'code-128': F.CODE_128,
    'code-39': F.CODE_39,
    'code-93': F.CODE_93,
    codabar: F.CODABAR,
    itf: F.ITF,
  };
}

let library: Promise<ZxingLibrary> | undefined;

/** Loaded on first use: the library is ~400 KB of JavaScript that a terminal on the wasm decoder never needs. */
function loadLibrary(): Promise<ZxingLibrary> {
  library ??= import('@zxing/library').catch((cause: unknown) => {
    library = undefined;
    // An optional dependency: the default decoder (zxing-wasm) does not need it.
    const missing = (cause as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
    throw new XinyiError(
      'NATIVE_MODULE_UNAVAILABLE',
      missing
        ? '@zxing/library is not installed: npm install @zxing/library@0.21.3 for the pure-JavaScript decoder, or use createZxingWasmDecoder (the default)'
        : '@zxing/library could not be loaded',
      { cause, details: { module: '@zxing/library' } },
    );
  });
  return library;
}

/**
 * The pure-JavaScript fallback decoder, for hosts where WebAssembly is disabled: @zxing/library 0.21.3
 * (0.22+ needs Node 24 and logs twice per empty frame, docs/decoder-bench.md §6). QR goes through
 * `QRCodeReader` on a `HybridBinarizer`; other symbologies through one `MultiFormatReader` set up once,
 * without `TRY_HARDER` (with 1D formats it costs ~70 ms per empty frame). With `tryInverted`, a frame
 * where nothing was found is tried once more, inverted, for QR codes shown in dark mode.
 * Expect it to read far fewer codes than `createZxingWasmDecoder` (about half the QR frames of
 * bench/camera-decoders.bench.ts, none under heavy noise, low contrast or keystone) at 3–6× its cost;
 * on ZXing's own QR images it reads 606 of 716 (608 with `tryHarder` and `pureBarcode`).
 * It returns at most one code per frame.
 * Rejects with `INVALID_OPTIONS` for a symbology it cannot read (`gs1-128`, `han-xin`, …).
 */
export async function createZxingLibraryDecoder(
  options: ZxingLibraryDecoderOptions = {},
): Promise<FrameDecoder> {
  const owner = 'createZxingLibraryDecoder';
  const { symbologies, tryInverted } = resolveFrameDecoderOptions(owner, options, SYMBOLOGY_NAMES);
  for (const flag of ['tryHarder', 'pureBarcode'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new XinyiError('INVALID_OPTIONS', `${owner}: ${flag} must be a boolean`, {
        details: { option: flag },
      });
    }
  }
  const tryHarder = options.tryHarder ?? false;
  const pureBarcode = options.pureBarcode ?? false;
  const zxing = await loadLibrary();
  const { BinaryBitmap, HybridBinarizer, MultiFormatReader, QRCodeReader, RGBLuminanceSource } = zxing;
  const ZxingException = zxing.Exception;
  const formats = formatsOf(zxing);
  const symbologyOf = new Map<BarcodeFormat, Symbology>(
    Object.entries(formats).map(([symbology, format]) => [format, symbology as Symbology]),
  );
  const qr = symbologies.includes('qr') ? new QRCodeReader() : null;
  const otherFormats = symbologies
    .filter((s) => s !== 'qr')
    .map((s) => formats[s as (typeof SYMBOLOGY_NAMES)[number]]);
  const { DecodeHintType: Hint } = zxing;
  const qrHints = new Map<DecodeHintType, unknown>(tryHarder ? [[Hint.TRY_HARDER, true]] : []);
  const pureHints = new Map<DecodeHintType, unknown>([...qrHints, [Hint.PURE_BARCODE, true]]);
  let multi: InstanceType<ZxingLibrary['MultiFormatReader']> | null = null;
  if (otherFormats.length > 0) {
    multi = new MultiFormatReader();
    // OneDReader checks TRY_HARDER with `=== true` (@zxing/library's src/core/oned/OneDReader.ts): the
    // boolean, nothing else.
    multi.setHints(
      new Map<DecodeHintType, unknown>([
        [Hint.POSSIBLE_FORMATS, otherFormats],
        ...(tryHarder ? ([[Hint.TRY_HARDER, true]] as const) : []),
      ]),
    );
  }
  let gray = new Uint8ClampedArray(0);
  let closed = false;

  const attempt = (decode: () => Result): Result | null => {
    try {
      return decode();
    } catch (error) {
      // Not-found, checksum and format failures all arrive as exceptions; none of them is an error here.
      if (error instanceof ZxingException) return null;
      throw error;
    }
  };

  const decodeSource = (source: LuminanceSource): Result | null => {
    const bitmap = new BinaryBitmap(new HybridBinarizer(source));
    let result = qr && pureBarcode ? attempt(() => qr.decode(bitmap, pureHints)) : null;
    if (!result && qr) result = attempt(() => qr.decode(bitmap, qrHints));
    if (!result && multi) result = attempt(() => multi.decodeWithState(bitmap));
    if (!result && qr && tryInverted) {
      result = attempt(() => qr.decode(new BinaryBitmap(new HybridBinarizer(source.invert())), qrHints));
    }
    return result;
  };

  return {
    name: '@zxing/library',
    async decode(frame: CameraFrame): Promise<Scan[]> {
      if (closed) throw new XinyiError('CLOSED', '@zxing/library decoder is closed');
      validateCameraFrame(frame);
      let luminances: Uint8ClampedArray;
      if (frame.format === 'gray') {
        // A gray Uint8ClampedArray is used as-is by RGBLuminanceSource: a view, no copy.
        luminances =
          frame.data instanceof Uint8ClampedArray
            ? frame.data
            : new Uint8ClampedArray(frame.data.buffer, frame.data.byteOffset, frame.data.length);
      } else {
        const pixels = frame.width * frame.height;
        if (gray.length !== pixels) gray = new Uint8ClampedArray(pixels);
        rgbaToGray(frame.data, gray);
        luminances = gray;
      }
      const source = new RGBLuminanceSource(luminances, frame.width, frame.height);
      // Each exception captures a stack trace twice (ts-custom-error); nobody reads them here.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      let result: Result | null;
      try {
        result = decodeSource(source);
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      if (!result) return [];
      const symbology = symbologyOf.get(result.getBarcodeFormat());
      const text = result.getText();
      if (symbology === undefined || text === '') return [];
      // @zxing/library reports no symbology identifier: the symbology's usual one (`]Q1`, `]E0`,
      // `]C0`…). It cannot tell a QR code with ECI (`]Q2`) or FNC1 (`]Q3`) from a plain one.
      const scan: Scan = { text, symbology, source: 'camera' };
      const aimId = aimIdForSymbology(symbology);
      if (aimId !== undefined) scan.aimId = aimId;
      const points = result.getResultPoints() ?? [];
      if (points.length >= 3) {
        // A 2D code's first three points are the centres of three corners (QR finder patterns):
        // their triangle is half the symbol's area.
        const [a, b, c] = points.map((p) => ({ x: p.getX(), y: p.getY() }));
        scan.areaPx = 2 * quadAreaPx([a!, b!, c!]);
      }
      return [scan];
    },
    close(): void {
      closed = true;
      gray = new Uint8ClampedArray(0);
    },
  };
}
