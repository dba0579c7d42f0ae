import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  BINARIZERS,
  CHARACTER_SETS,
  EAN_ADD_ON_SYMBOLS,
  encodeFormats,
  prepareZXingModule,
  type ReadInputBarcodeFormat,
  TEXT_MODES,
  ZXING_WASM_SHA256,
  ZXING_WASM_VERSION,
  type ZXingReaderModule,
  type ZXingReaderOptions,
  type ZXingReadResult,
} from 'zxing-wasm/reader';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
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

/**
 * How gray levels become black and white modules (zxing-cpp's binarizers): `local-average` compares
 * each pixel with its neighbourhood (ZXing's HybridBinarizer; right for uneven light on a phone
 * screen), `global-histogram` uses one threshold per line from the histogram, `fixed-threshold` 127,
 * `bool-cast` anything non-zero is white (for frames that are already black and white).
 */
export type ZxingBinarizer = 'local-average' | 'global-histogram' | 'fixed-threshold' | 'bool-cast';

const BINARIZER_NAMES: Record<ZxingBinarizer, (typeof BINARIZERS)[number]> = {
  'local-average': 'LocalAverage',
  'global-histogram': 'GlobalHistogram',
  'fixed-threshold': 'FixedThreshold',
  'bool-cast': 'BoolCast',
};

/**
 * Default of `maxSymbols`. One: looking for more switches zxing-cpp to its multi-symbol QR detector,
 * about 3× slower on a cluttered 640×480 frame (bench/camera-decoders.bench.ts), for what a gate
 * rarely sees.
 */
export const ZXING_WASM_DEFAULT_MAX_SYMBOLS = 1;

/** Options of {@link createZxingWasmDecoder}. */
export interface ZxingWasmDecoderOptions extends FrameDecoderOptions {
  /**
   * `'fast'` is tuned for a video loop: fewer 1D scan lines (no tryHarder), no downscaled or denoised
   * pass; a code missed in one frame is usually read in the next. It still scans columns too
   * (tryRotate), which reads 1D codes held upright at almost no cost. `'thorough'` turns every
   * zxing-cpp pass on (tryHarder, tryDownscale, tryDenoise), for still images: 2–5× slower on an
   * empty frame and hardly better on the bench corpus (bench/camera-decoders.bench.ts).
   * @default 'fast'
   */
  effort?: 'fast' | 'thorough';
  /**
   * Codes looked for in one frame, 1–255; every one found is returned (a camera scanner then picks
   * one credential, see `chooseCredentialScan`). With 1 the decoder stops at the first symbol it
   * finds, which in a frame with two codes (a code printed inside another, ZXing's `qrcode-2/16`) may
   * be either. More costs time on every frame, empty ones included (about 3× at 640×480).
   * @default ZXING_WASM_DEFAULT_MAX_SYMBOLS (1)
   */
  maxSymbols?: number;
  /** @default 'local-average' */
  binarizer?: ZxingBinarizer;
}

const FORMATS: Partial<Record<Symbology, ReadInputBarcodeFormat>> = {
  qr: 'QRCode',
  'data-matrix': 'DataMatrix',
  pdf417: 'PDF417',
  aztec: 'Aztec',
  'ean-13': 'EAN13',
  'ean-8': 'EAN8',
  'upc-a': 'UPCA',
  'upc-e': 'UPCE',
  'code-128': 'Code128',
  'gs1-128': 'Code128',
  'code-39': 'Code39',
  'code-93': 'Code93',
  codabar: 'Codabar',
  itf: 'ITF',
};
const SUPPORTED = Object.keys(FORMATS) as Symbology[];

/** zxing-cpp's output format names (zxing-wasm 3.x) → SDK symbology. */
const SYMBOLOGY_OF: Record<string, Symbology> = {
  QRCode: 'qr',
  DataMatrix: 'data-matrix',
  PDF417: 'pdf417',
  Aztec: 'aztec',
  EAN13: 'ean-13',
  EAN8: 'ean-8',
  UPCA: 'upc-a',
  UPCE: 'upc-e',
  Code128: 'code-128',
  Code39: 'code-39',
  Code93: 'code-93',
  Codabar: 'codabar',
  ITF: 'itf',
};

/** The Emscripten overrides that load one zxing-wasm build from the package's own `dist/` folder. */
export interface LocalZxingWasm {
  wasmBinary: ArrayBuffer;
  locateFile: (path: string, prefix: string) => string;
}

/**
 * Reads `zxing_<build>.wasm` from the installed zxing-wasm package, so that nothing is fetched:
 * zxing-wasm's default `locateFile` points at a CDN (docs/decoder-bench.md §6), and a terminal is often
 * offline. When `sha256` is given the file must match it (each JS glue version needs its own .wasm).
 */
export function localZxingWasm(build: 'reader' | 'writer' | 'full', sha256?: string): LocalZxingWasm {
  const require = createRequire(import.meta.url);
  const path = require.resolve(`zxing-wasm/${build}/zxing_${build}.wasm`);
  const bytes = readFileSync(path);
  if (sha256 !== undefined) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new XinyiError(
        'NATIVE_MODULE_UNAVAILABLE',
        `zxing-wasm ${ZXING_WASM_VERSION}: zxing_${build}.wasm does not match its JS glue (reinstall zxing-wasm)`,
        { details: { module: 'zxing-wasm', build } },
      );
    }
  }
  const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  // Emscripten asks for the .wasm (and nothing else) by name; point any request at the local file.
  return { wasmBinary, locateFile: (file) => (file.endsWith('.wasm') ? path : file) };
}

/**
 * What this decoder uses of the instantiated module. zxing-wasm types the rest through the global
 * `EmscriptenModule` of @types/emscripten, which the project's `types` setting leaves out.
 */
interface ReaderModule {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
  readBarcodesFromPixmap: ZXingReaderModule['readBarcodesFromPixmap'];
}

let readerModule: Promise<ReaderModule> | undefined;

function loadReaderModule(): Promise<ReaderModule> {
  if (!readerModule) {
    const pending = (async () => {
      const overrides = localZxingWasm('reader', ZXING_WASM_SHA256);
      const module = await prepareZXingModule({ overrides, equalityFn: Object.is, fireImmediately: true });
      return module as unknown as ReaderModule;
    })();
    readerModule = pending.catch((cause: unknown) => {
      readerModule = undefined;
      if (isXinyiError(cause)) throw cause;
      throw new XinyiError('NATIVE_MODULE_UNAVAILABLE', 'zxing-wasm reader could not be instantiated', {
        cause,
        details: { module: 'zxing-wasm' },
      });
    });
  }
  return readerModule;
}

function readerOptions(
  symbologies: readonly Symbology[],
  tryInverted: boolean,
  effort: 'fast' | 'thorough',
  maxSymbols: number,
  binarizer: ZxingBinarizer,
): ZXingReaderOptions {
  const thorough = effort === 'thorough';
  const formats = [...new Set(symbologies.map((s) => FORMATS[s]!))];
  // The embind export takes zxing-cpp's enums; this mirrors zxing-wasm's own readerOptionsToZXingReaderOptions.
  return {
    formats: encodeFormats(formats),
    tryHarder: thorough,
    tryRotate: true,
    tryInvert: tryInverted,
    tryDownscale: thorough,
    tryDenoise: thorough,
    binarizer: BINARIZERS.indexOf(BINARIZER_NAMES[binarizer]),
    isPure: false,
    downscaleThreshold: 500,
    downscaleFactor: 3,
    minLineCount: 2,
    maxNumberOfSymbols: maxSymbols,
    validateOptionalChecksum: false,
    returnErrors: false,
    eanAddOnSymbol: EAN_ADD_ON_SYMBOLS.indexOf('Ignore'),
    // Plain: the symbol's own text. HRI (the wrapper's default) renders controls as `<GS>`, `<SOH>`…,
    // which rewrote ISO/IEC 15434 and GS1 payloads and made the two backends disagree.
    textMode: TEXT_MODES.indexOf('Plain'),
    characterSet: CHARACTER_SETS.indexOf('Unknown'),
    tryCode39ExtendedMode: true,
  };
}

function toScan(result: ZXingReadResult, asked: readonly Symbology[]): Scan | null {
  if (!result.isValid || result.error !== '' || result.text === '') return null;
  let symbology = SYMBOLOGY_OF[result.format];
  if (symbology === undefined) return null;
  // zxing-cpp reports GS1-128 as Code128 with AIM identifier ]C1.
  if (symbology === 'code-128' && result.symbologyIdentifier === ']C1' && asked.includes('gs1-128')) {
    symbology = 'gs1-128';
  }
  if (!asked.includes(symbology)) return null;
  const aimId = result.symbologyIdentifier || aimIdForSymbology(symbology);
  const scan: Scan = { text: result.text, symbology, source: 'camera' };
  if (aimId) scan.aimId = aimId;
  const { topLeft, topRight, bottomRight, bottomLeft } = result.position;
  scan.areaPx = quadAreaPx([topLeft, topRight, bottomRight, bottomLeft]);
  return scan;
}

/**
 * The default camera decoder: zxing-cpp compiled to WebAssembly (zxing-wasm, reader build), loaded
 * from the installed package — never from the network. Resolves once the module is instantiated;
 * rejects with `NATIVE_MODULE_UNAVAILABLE` when it cannot be, and with `INVALID_OPTIONS` for a
 * symbology it cannot read (`han-xin`, `unknown`).
 *
 * Gray frames go straight into a buffer in wasm memory that is reused from frame to frame (the
 * public `readBarcodes` takes RGBA only and allocates a gray copy per call); RGBA frames are
 * converted into the same buffer. This uses the `readBarcodesFromPixmap` export that `readBarcodes`
 * itself calls, so zxing-wasm stays pinned and test/adapters/camera covers the path.
 */
export async function createZxingWasmDecoder(options: ZxingWasmDecoderOptions = {}): Promise<FrameDecoder> {
  const owner = 'createZxingWasmDecoder';
  const { symbologies, tryInverted } = resolveFrameDecoderOptions(owner, options, SUPPORTED);
  const effort = options.effort ?? 'fast';
  if (effort !== 'fast' && effort !== 'thorough') {
    throw new XinyiError('INVALID_OPTIONS', `${owner}: effort must be 'fast' or 'thorough'`);
  }
  const maxSymbols = options.maxSymbols ?? ZXING_WASM_DEFAULT_MAX_SYMBOLS;
  if (!Number.isInteger(maxSymbols) || maxSymbols < 1 || maxSymbols > 255) {
    throw new XinyiError('INVALID_OPTIONS', `${owner}: maxSymbols must be an integer from 1 to 255`, {
      details: { option: 'maxSymbols' },
    });
  }
  const binarizer = options.binarizer ?? 'local-average';
  if (!Object.hasOwn(BINARIZER_NAMES, binarizer)) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      `${owner}: binarizer must be one of ${Object.keys(BINARIZER_NAMES).join(', ')}`,
      { details: { option: 'binarizer' } },
    );
  }
  const zxingOptions = readerOptions(symbologies, tryInverted, effort, maxSymbols, binarizer);
  const module = await loadReaderModule();

  let pointer = 0;
  let capacity = 0;
  let closed = false;

  return {
    name: 'zxing-wasm',
    async decode(frame: CameraFrame): Promise<Scan[]> {
      if (closed) throw new XinyiError('CLOSED', 'zxing-wasm decoder is closed');
      validateCameraFrame(frame);
      const pixels = frame.width * frame.height;
      if (pixels > capacity) {
        if (pointer !== 0) module._free(pointer);
        pointer = module._malloc(pixels);
        if (pointer === 0) {
          capacity = 0;
          throw new XinyiError('INVALID_ARGUMENT', 'camera frame is too large for the wasm heap', {
            details: { width: frame.width, height: frame.height },
          });
        }
        capacity = pixels;
      }
      // Read HEAPU8 after every malloc: growing the wasm memory replaces the view.
      const gray = module.HEAPU8.subarray(pointer, pointer + pixels);
      if (frame.format === 'gray') gray.set(frame.data);
      else rgbaToGray(frame.data, gray);
      const results = module.readBarcodesFromPixmap(pointer, frame.width, frame.height, zxingOptions);
      try {
        const scans: Scan[] = [];
        for (let i = 0; i < results.size(); i++) {
          const result = results.get(i);
          const scan = result ? toScan(result, symbologies) : null;
          if (scan) scans.push(scan);
        }
        return scans;
      } finally {
        (results as { delete?: () => void }).delete?.();
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      if (pointer !== 0) module._free(pointer);
      pointer = 0;
      capacity = 0;
    },
  };
}
