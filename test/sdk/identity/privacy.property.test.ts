import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDigit,
  createPseudonymizer,
  isValidResidentIdNumber,
  maskIdNumber,
  normalizeIdNumber,
  RESIDENT_ID_REGION_PREFIXES,
  subjectFromIdNumber,
} from '../../../sdk/identity/index.js';

const NOW = Date.UTC(2024, 5, 1);

/** Valid GB 11643 numbers: any accepted prefix, any 4 digits, a real birth date, any sequence. */
const validIdNumber = fc
  .record({
    prefix: fc.constantFrom(...RESIDENT_ID_REGION_PREFIXES),
    area: fc.stringMatching(/^\d{4}$/),
    birth: fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(NOW), noInvalidDate: true }),
    sequence: fc.stringMatching(/^\d{3}$/),
  })
  .map(({ prefix, area, birth, sequence }) => {
    const first17 = `${prefix}${area}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${sequence}`;
    return first17 + checkDigit(first17);
  });

/** Every string a thrown error could show: message, stack, String(), details and the cause chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const e = current as Error & { details?: unknown };
    parts.push(String(e), e.message ?? '', e.stack ?? '', JSON.stringify(e.details ?? {}));
    current = e.cause;
  }
  return parts.join('\n');
}

function expectNoLeak(error: unknown, id: string): void {
  expect(error).toBeDefined();
  const text = errorText(error);
  expect(text).not.toContain(id);
  expect(text).not.toContain(id.slice(0, 17));
  expect(text).not.toContain(id.slice(6, 14)); // birth date
}

describe('privacy properties', () => {
  const p = createPseudonymizer('property-test-key-0123456789');

  it('generated numbers are valid, masked to first and last, and their pseudonyms hide them', () => {
    fc.assert(
      fc.property(validIdNumber, (id) => {
        expect(isValidResidentIdNumber(id, NOW)).toBe(true);
        expect(isValidResidentIdNumber(id.toLowerCase(), NOW)).toBe(true);
        const masked = maskIdNumber(id);
        expect(masked.slice(1, 17)).toBe('*'.repeat(16));
        const pseudonym = p.pseudonymize(id);
        expect(pseudonym).toHaveLength(22);
        expect(pseudonym).not.toContain(id.slice(6, 14));
        expect(p.pseudonymize(id.toLowerCase())).toBe(pseudonym);
      }),
    );
  });

  it('no thrown error contains the number, its first 17 digits or its birth date', () => {
    fc.assert(
      fc.property(validIdNumber, fc.integer({ min: 1, max: 10 }), (id, bump) => {
        const wrongCheck = `${id.slice(0, 17)}${'0123456789X'[('0123456789X'.indexOf(id[17]!) + bump) % 11]}`;
        const variants = [
          wrongCheck,
          id.slice(0, 17),
          `${id}0`,
          `99${id.slice(2)}`,
          `${id.slice(0, 16)}A${id[17]}`,
        ];
        for (const bad of variants) {
          let caught: unknown;
          try {
            normalizeIdNumber(bad, NOW);
          } catch (error) {
            caught = error;
          }
          expectNoLeak(caught, bad);
          caught = undefined;
          try {
            subjectFromIdNumber(p, bad);
          } catch (error) {
            caught = error;
          }
          expectNoLeak(caught, bad);
        }
      }),
    );
  });
});
