import { describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  createPseudonymizer,
  subjectFromIdNumber,
  subjectFromMemberCode,
} from '../../../sdk/identity/index.js';

const p = createPseudonymizer('subject-test-key-0123456789');
const ID = '11010519491231002X';

describe('subjectFromIdNumber', () => {
  it('returns a pseudonym and a masked number, and no raw data', () => {
    const subject = subjectFromIdNumber(p, '11010519491231002x');
    expect(subject).toEqual({
      pseudonym: p.pseudonymize(ID),
      masked: '1****************X',
      kind: 'id-number',
    });
    expect(JSON.stringify(subject)).not.toContain('19491231');
  });

  it('keeps a given name only in masked form', () => {
    const subject = subjectFromIdNumber(p, ID, '张三');
    expect(subject.maskedName).toBe('张*');
    expect(JSON.stringify(subject)).not.toContain('张三');
    expect(subjectFromIdNumber(p, ID, '  ')).not.toHaveProperty('maskedName');
  });

  it('throws ID_NUMBER_INVALID for an invalid number', () => {
    expect(() => subjectFromIdNumber(p, '110105194912310021')).toThrow(
      expect.objectContaining({ code: 'ID_NUMBER_INVALID' }),
    );
  });
});

describe('subjectFromMemberCode', () => {
  it('masks all but the first and last character', () => {
    const subject = subjectFromMemberCode(p, '2901234567893');
    expect(subject).toEqual({
      pseudonym: p.pseudonymize('2901234567893', 'member'),
      masked: '2***********3',
      kind: 'member',
    });
  });

  it('gives a member code and an ID number with the same text different pseudonyms', () => {
    expect(subjectFromMemberCode(p, ID).pseudonym).not.toBe(subjectFromIdNumber(p, ID).pseudonym);
  });

  it('rejects an empty code with CREDENTIAL_INVALID', () => {
    for (const code of ['', '   ', undefined as unknown as string]) {
      let caught: unknown;
      try {
        subjectFromMemberCode(p, code);
      } catch (error) {
        caught = error;
      }
      expect(isXinyiError(caught, 'CREDENTIAL_INVALID')).toBe(true);
    }
  });
});
