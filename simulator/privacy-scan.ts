// A search of what a program wrote for the personal data of the synthetic people it served: the tool
// behind the privacy audit test and the soak, and for an integrator's own tests.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cardFieldsForPerson } from './devices/card-fields.js';
import type { SyntheticOrganisation, SyntheticPerson } from './population.js';

/** One form in which a person's data could have been written. */
export interface PersonalDataForm {
  /** The synthetic person's `id` (not personal data). */
  person: string;
  /** Which form: `'id-number'`, `'id-number-body'` (first 17 characters), `'name-json-escaped'`, … */
  kind: string;
  bytes: Buffer;
}

/** Personal data found: where, whose and in which form, never the data itself. */
export interface PrivacyFinding {
  /** A file relative to the scanned folder, or `upload:<path>` for a request body the platform received. */
  where: string;
  person: string;
  kind: string;
}

/** JSON's `\uXXXX` escape of a string, as a serialiser that escapes non-ASCII would write it. */
function jsonEscaped(text: string, upper: boolean): string {
  return Array.from(text, (ch) => {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) return ch;
    const hex = code.toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  }).join('');
}

/**
 * Every form in which a person's personal data could have been written: the ID number whole, its first
 * 17 characters (any check character, a corrupted one included) and its 15-digit form, the name as
 * UTF-8 and as JSON `\uXXXX` escapes, the member code, the card address and a permit's pass number.
 */
export function personalDataForms(person: SyntheticPerson): PersonalDataForm[] {
  const id = person.idNumber;
  const card = cardFieldsForPerson(person);
  const texts: [string, string][] = [
    ['id-number', id],
    ['id-number-body', id.slice(0, 17)],
    ['id-number-15', id.slice(0, 6) + id.slice(8, 17)],
    ['name', person.name],
    ['name-json-escaped', jsonEscaped(person.name, false)],
    ['name-json-escaped-upper', jsonEscaped(person.name, true)],
    ['member-code', person.memberCode],
    ['address', card.address],
  ];
  if (id.endsWith('X')) texts.push(['id-number-lower-x', `${id.slice(0, 17)}x`]);
  if ('passNumber' in card && card.passNumber.length >= 8) texts.push(['pass-number', card.passNumber]);
  return texts.map(([kind, text]) => ({ person: person.id, kind, bytes: Buffer.from(text, 'utf8') }));
}

/**
 * The forms in which an organisation's credit code could have been written: the code whole, in lower
 * case, its first 17 characters and its embedded organisation code (positions 9–17). An organisation's
 * code is public, but the SDK treats it like an ID number: it never reaches a log, the journal or an upload.
 */
export function organisationDataForms(organisation: SyntheticOrganisation): PersonalDataForm[] {
  const code = organisation.creditCode;
  const texts: [string, string][] = [
    ['credit-code', code],
    ['credit-code-lower', code.toLowerCase()],
    ['credit-code-body', code.slice(0, 17)],
    ['organisation-code', code.slice(8, 17)],
  ];
  return texts.map(([kind, text]) => ({ person: organisation.id, kind, bytes: Buffer.from(text, 'utf8') }));
}

/** The forms found in `content`; `where` names it in the findings. */
export function findPersonalData(
  content: Buffer,
  where: string,
  forms: readonly PersonalDataForm[],
): PrivacyFinding[] {
  const found: PrivacyFinding[] = [];
  for (const form of forms) {
    if (content.includes(form.bytes)) found.push({ where, person: form.person, kind: form.kind });
  }
  return found;
}

/** What {@link scanFolderForPersonalData} read and found. */
export interface PrivacyScan {
  /** Paths relative to the folder. */
  files: string[];
  bytes: number;
  found: PrivacyFinding[];
}

/**
 * Reads every regular file under `dir` (symbolic links are not followed: the site's PTY links point
 * at terminals, which a read would block on) and reports each form found.
 */
export function scanFolderForPersonalData(dir: string, forms: readonly PersonalDataForm[]): PrivacyScan {
  const result: PrivacyScan = { files: [], bytes: 0, found: [] };
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    let regular = false;
    try {
      regular = lstatSync(path).isFile();
    } catch {
      // Removed while the scan ran (a -shm file at close).
    }
    if (!regular) continue;
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch {
      continue;
    }
    const where = relative(dir, path);
    result.files.push(where);
    result.bytes += content.length;
    result.found.push(...findPersonalData(content, where, forms));
  }
  return result;
}
