// docs/protocols.md §1.11: the photo is a 1024-byte WLT file that only proprietary binary
// decoders (wlt2bmp, libwlt2bmp, …) can expand; no public specification exists, so the SDK keeps the
// bytes opaque and lets the integrator plug a decoder in.

/** Size of the WLT photo file in the card's base message (§1.5, §1.11). */
export const WLT_PHOTO_BYTES = 1024;

/** Width of the decoded photo in pixels (§1.11). */
export const DECODED_PHOTO_WIDTH_PX = 102;

/** Height of the decoded photo in pixels (§1.11). */
export const DECODED_PHOTO_HEIGHT_PX = 126;

/**
 * A plug-in that expands the 1024-byte WLT photo into an image (BMP, JPEG, raw RGB — whatever the
 * vendor library produces; commonly a 102 × 126 24-bit BMP of 38 862 bytes). Supplied by the
 * integrator, typically wrapping a vendor's native `wlt2bmp`; the SDK ships none.
 */
export type WltDecoder = (wlt: Uint8Array) => Promise<Uint8Array> | Uint8Array;

/** Where an ID-card reader takes its photo decoder from. */
export interface IdCardPhotoOptions {
  /**
   * Decodes the WLT photo. Without one, photos stay opaque WLT bytes.
   * @default undefined
   */
  wltDecoder?: WltDecoder;
}

/**
 * Runs the configured `wltDecoder` on a WLT photo; resolves to `undefined` when none is configured.
 * Errors thrown by the decoder propagate unchanged.
 */
export async function decodeIdCardPhoto(
  wlt: Uint8Array,
  options: IdCardPhotoOptions = {},
): Promise<Uint8Array | undefined> {
  if (options.wltDecoder === undefined) return undefined;
  return await options.wltDecoder(wlt);
}
