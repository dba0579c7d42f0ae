import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer, DEFAULT_PSEUDONYM_SCOPE } from '../../../sdk/identity/index.js';
import { thrownXinyiError } from '../../support/thrown.js';

const KEY = 'test-key-0123456789abcdef';
const ID = '11010519491231002X';

describe('createPseudonymizer', () => {
  it('produces a stable 22-character base64url pseudonym', () => {
    const p = createPseudonymizer(KEY);
    const a = p.pseudonymize(ID);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(createPseudonymizer(KEY).pseudonymize(ID)).toBe(a);
    expect(p.pseudonymize(ID, 'id-number')).toBe(a);
    expect(p.scope).toBe(DEFAULT_PSEUDONYM_SCOPE);
  });

  it('pins the construction HMAC-SHA-256(scope \\0 kind \\0 value), first 16 bytes', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', KEY)
      .update(`xinyi-incentive-v1\0id-number\0${ID}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    expect(createPseudonymizer(KEY).pseudonymize(ID)).toBe(expected);
  });

  it('gives x and X, and padded input, the same pseudonym', () => {
    const p = createPseudonymizer(KEY);
    expect(p.pseudonymize('11010519491231002x')).toBe(p.pseudonymize(ID));
    expect(p.pseudonymize(` ${ID}\t`)).toBe(p.pseudonymize(ID));
    expect(p.pseudonymize(' M001 ', 'member')).toBe(p.pseudonymize('M001', 'member'));
  });

  it('is sensitive to key, scope and kind', () => {
    const base = createPseudonymizer(KEY).pseudonymize(ID);
    expect(createPseudonymizer(`${KEY}!`).pseudonymize(ID)).not.toBe(base);
    expect(createPseudonymizer(KEY, { scope: 'other-scheme' }).pseudonymize(ID)).not.toBe(base);
    expect(createPseudonymizer(KEY).pseudonymize(ID, 'member')).not.toBe(base);
    expect(createPseudonymizer(KEY).pseudonymize('370781198507150013')).not.toBe(base);
  });

  it('accepts string, Uint8Array and Buffer keys with the same bytes alike', () => {
    const bytes = new TextEncoder().encode(KEY);
    const fromString = createPseudonymizer(KEY).pseudonymize(ID);
    expect(createPseudonymizer(bytes).pseudonymize(ID)).toBe(fromString);
    expect(createPseudonymizer(Buffer.from(KEY)).pseudonymize(ID)).toBe(fromString);
  });

  it('copies the key so later mutation of the caller buffer has no effect', () => {
    const key = Buffer.from(KEY);
    const p = createPseudonymizer(key);
    const before = p.pseudonymize(ID);
    key.fill(0);
    expect(p.pseudonymize(ID)).toBe(before);
  });

  it('does not contain the input', () => {
    const p = createPseudonymizer(KEY);
    const pseudonym = p.pseudonymize(ID);
    expect(pseudonym).not.toContain(ID);
    expect(pseudonym).not.toContain('19491231');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['short string', '0123456789abcde'],
    ['short bytes', new Uint8Array(15)],
    ['wrong type', 1234567890123456 as unknown as string],
  ])('rejects a %s key with INVALID_OPTIONS naming key', (_label, key) => {
    const error = thrownXinyiError(() => createPseudonymizer(key as string));
    expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
    expect(error.message).toMatch(/\bkey\b/);
  });

  it('accepts a 16-byte key', () => {
    expect(() => createPseudonymizer(new Uint8Array(16))).not.toThrow();
  });

  it('rejects an empty scope or one with NUL', () => {
    for (const scope of ['', 'a\0b']) {
      const error = thrownXinyiError(() => createPseudonymizer(KEY, { scope }));
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect(error.message).toMatch(/\bscope\b/);
    }
  });

  it('never exposes the key', () => {
    const p = createPseudonymizer(KEY, { scope: 'tourism' });
    const views = [
      String(p),
      `${p}`,
      JSON.stringify(p),
      inspect(p, { showHidden: true, depth: 10 }),
      JSON.stringify(Object.getOwnPropertyNames(p).map((name) => String((p as never)[name]))),
    ];
    for (const view of views) {
      expect(view).not.toContain(KEY);
      expect(view).not.toContain(Buffer.from(KEY).toString('hex'));
      expect(view).not.toContain(Buffer.from(KEY).toString('base64'));
    }
    expect(JSON.parse(JSON.stringify(p))).toEqual({ scope: 'tourism' });
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('rejects invalid ID numbers and empty member codes without echoing them', () => {
    const p = createPseudonymizer(KEY);
    const bad = '110105194912310021';
    const idError = thrownXinyiError(() => p.pseudonymize(bad));
    expect(isXinyiError(idError, 'ID_NUMBER_INVALID')).toBe(true);
    expect(idError.message).not.toContain(bad);
    expect(
      isXinyiError(
        thrownXinyiError(() => p.pseudonymize('  ', 'member')),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('does not echo an unknown kind (swapped arguments would leak the number)', () => {
    const p = createPseudonymizer(KEY);
    const error = thrownXinyiError(() => p.pseudonymize('id-number', ID as never));
    expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error.message).not.toContain(ID);
  });
});
