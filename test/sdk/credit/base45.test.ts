import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base45Problem, decodeBase45, encodeBase45 } from '../../../sdk/credit/base45.js';
import { isXinyiError } from '../../../sdk/errors.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('Base45 (RFC 9285)', () => {
  it.each([
    ['AB', 'BB8'],
    ['Hello!!', '%69 VD92EX0'],
    ['base-45', 'UJCLQE7W581'],
    ['ietf!', 'QED8WEX0'],
    ['', ''],
  ])('encodes %j as %j and back', (plain, encoded) => {
    expect(encodeBase45(utf8(plain))).toBe(encoded);
    expect(new TextDecoder().decode(decodeBase45(encoded))).toBe(plain);
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(decodeBase45(encodeBase45(bytes))).toEqual(bytes);
      }),
    );
  });

  it.each([
    ['GGW', Base45Problem.OVERFLOW],
    ['::', Base45Problem.OVERFLOW],
    ['ABCD', Base45Problem.LENGTH],
    ['bb8', Base45Problem.CHARACTER],
    ['BB~', Base45Problem.CHARACTER],
    ['BB\u00e9', Base45Problem.CHARACTER],
  ])('refuses %j with %s', (text, reason) => {
    let caught: unknown;
    try {
      decodeBase45(text);
    } catch (error) {
      caught = error;
    }
    expect(isXinyiError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as { details: { reason: string } }).details.reason).toBe(reason);
  });
});
