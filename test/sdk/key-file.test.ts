import { describe, expect, it } from 'vitest';
import { isXinyiError } from '../../sdk/errors.js';
import { decodeKeyFile } from '../../sdk/key-file.js';

/** 32 bytes that are not UTF-8 text (0xff never occurs in UTF-8, 0x00 is a control character). */
const BINARY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 73 + 0xff) & 0xff));

describe('decodeKeyFile: hex:, base64: or raw bytes', () => {
  it('a binary key is its bytes exactly, not its UTF-8 reading', () => {
    expect(BINARY.includes(0xff)).toBe(true);
    expect(decodeKeyFile(BINARY)).toEqual(BINARY);
    // What reading it as UTF-8 used to give: other bytes, and so other pseudonyms.
    expect(Buffer.from(BINARY.toString('utf8').trim(), 'utf8').equals(BINARY)).toBe(false);
    // Even one that ends in what would be a line break as text.
    const endsInNewline = Buffer.concat([BINARY, Buffer.from([0x0a])]);
    expect(decodeKeyFile(endsInNewline)).toEqual(endsInNewline);
  });

  it('a text key loses its surrounding whitespace (echo "$KEY" > file), inside it stays', () => {
    expect(decodeKeyFile(Buffer.from('  a text key with spaces\r\n'))).toEqual(
      Buffer.from('a text key with spaces'),
    );
    expect(decodeKeyFile('密钥-unicode-key\n')).toEqual(Buffer.from('密钥-unicode-key', 'utf8'));
  });

  it('hex: and base64: (standard or URL-safe, padded or not, line-wrapped) decode to the same bytes', () => {
    const hex = BINARY.toString('hex');
    const b64 = BINARY.toString('base64');
    const b64url = BINARY.toString('base64url');
    for (const text of [
      `hex:${hex}`,
      `hex:${hex.toUpperCase()}\n`,
      `hex:${hex.slice(0, 32)}\n${hex.slice(32)}\n`,
      `\nhex: ${hex}`,
      `base64:${b64}`,
      `base64:${b64.replace(/=+$/, '')}\n`,
      `base64:${b64url}`,
      `base64:${b64.slice(0, 20)}\n${b64.slice(20)}`,
    ]) {
      expect(decodeKeyFile(Buffer.from(text)), text).toEqual(BINARY);
    }
  });

  it('refuses a malformed hex: or base64: body, naming the encoding and never the content', () => {
    const cases: [string, string][] = [
      ['hex:', 'is empty after the prefix'],
      ['hex:abc', 'odd number of hex digits'],
      ['hex:zz00-secret', 'not a hex digit'],
      ['base64:', 'is empty after the prefix'],
      ['base64:ab$cd-secret', 'outside the base64 alphabet'],
      ['base64:a+b_', 'outside the base64 alphabet'],
      ['base64:abcde', 'a length no base64 text has'],
    ];
    for (const [text, problem] of cases) {
      let error: unknown;
      try {
        decodeKeyFile(text);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_ARGUMENT'), text).toBe(true);
      expect((error as Error).message).toContain(problem);
      expect((error as Error).message).not.toContain('secret');
    }
  });
});
