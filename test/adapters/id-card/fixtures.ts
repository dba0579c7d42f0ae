import { hex } from './helpers.js';

/**
 * docs/protocols.md §1.8 "Synthetic example (verified)": resident card text for the reference's
 * placeholder person (张三, 11010519491231002X — the GB 11643 textbook number), byte-exact.
 * Rows the reference elides as "(pad)" (0x50–0x6F, 0xE0–0xFF) are UCS-2 spaces, as it states.
 */
export const REFERENCE_RESIDENT_TEXT = hex(`
  20 5F 09 4E 20 00 20 00 20 00 20 00 20 00 20 00
  20 00 20 00 20 00 20 00 20 00 20 00 20 00 31 00
  30 00 31 00 31 00 39 00 34 00 39 00 31 00 32 00
  33 00 31 00 17 53 AC 4E 02 5E 7F 89 CE 57 3A 53
  D0 67 D0 67 57 88 53 90 31 00 F7 53 20 00 20 00
  20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00
  20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00
  20 00 20 00 20 00 20 00 20 00 31 00 31 00 30 00
  31 00 30 00 35 00 31 00 39 00 34 00 39 00 31 00
  32 00 33 00 31 00 30 00 30 00 32 00 58 00 17 53
  AC 4E 02 5E 6C 51 89 5B 40 5C 7F 89 CE 57 06 52
  40 5C 20 00 20 00 20 00 20 00 20 00 32 00 30 00
  31 00 35 00 30 00 31 00 30 00 31 00 32 00 30 00
  33 00 35 00 30 00 31 00 30 00 31 00 20 00 20 00
  20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00
  20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00
`);

/** §1.5 header of a 0x30 0x01 response: preamble, LEN 0x0508, SW 00 00 90, TL 0x0100, PL 0x0400. */
export const READ_BASE_HEADER = hex('AA AA AA 96 69 05 08 00 00 90 01 00 04 00');

/** §1.8: the complete 1295-byte read-base response with the text above and an all-zero photo; CHK 0x87. */
export const REFERENCE_READ_BASE_FRAME = Buffer.concat([
  READ_BASE_HEADER,
  REFERENCE_RESIDENT_TEXT,
  Buffer.alloc(1024),
  Uint8Array.of(0x87),
]);

/** A fixed instant for ID-number validation (birth dates must not be in the future): 2025-06-01 UTC. */
export const NOW = Date.UTC(2025, 5, 1);
