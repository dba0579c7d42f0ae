import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer';
import { localZxingWasm } from '../../adapters/camera/zxing-wasm-decoder.js';
import { XinyiError } from '../../sdk/errors.js';

let writerReady: Promise<unknown> | undefined;

/** The QR symbol's modules, row by row, `true` for dark (quiet zone not included). */
export interface QrMatrix {
  size: number;
  dark: boolean[];
}

/** Encodes `text` as a QR code at ECC M with zxing-wasm's writer, loaded from the package (no network). */
export async function encodeQr(text: string): Promise<QrMatrix> {
  writerReady ??= prepareZXingModule({
    overrides: localZxingWasm('writer'),
    equalityFn: Object.is,
    fireImmediately: true,
  }).catch((error: unknown) => {
    writerReady = undefined;
    throw error;
  });
  await writerReady;
  const result = await writeBarcode(text, {
    format: 'QRCode',
    scale: 1,
    withQuietZones: false,
    ecLevel: 'M',
  });
  if (result.error)
    throw new XinyiError('INVALID_ARGUMENT', `cannot encode the text as a QR code: ${result.error}`);
  const { symbol } = result;
  // The writer returns one byte per module, 0 = dark.
  return { size: symbol.width, dark: Array.from(symbol.data, (v) => v === 0) };
}

/**
 * The QR code as a standalone SVG: one path of unit squares in a viewBox of modules, with the
 * four-module quiet zone the standard asks for, so a phone-screen-sized `<img>` scales it crisply.
 */
export function qrSvg(matrix: QrMatrix, options: { title?: string } = {}): string {
  const quiet = 4;
  const full = matrix.size + 2 * quiet;
  let path = '';
  for (let y = 0; y < matrix.size; y++) {
    let x = 0;
    while (x < matrix.size) {
      if (!matrix.dark[y * matrix.size + x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < matrix.size && matrix.dark[y * matrix.size + x]) x++;
      path += `M${start + quiet} ${y + quiet}h${x - start}v1h-${x - start}z`;
    }
  }
  const title = options.title ? `<title>${escapeXml(options.title)}</title>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${full} ${full}" shape-rendering="crispEdges">` +
    `${title}<rect width="${full}" height="${full}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
