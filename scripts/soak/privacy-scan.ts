import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cardFieldsForPerson } from '../../simulator/devices/virtual-id-card-reader.js';
import type { SyntheticPerson } from '../../simulator/population.js';

/** One form in which a person's data could have been written (as in test/integration/privacy-audit.test.ts). */
export interface Needle {
  person: string;
  kind: string;
  bytes: Buffer;
}

export interface PrivacyFinding {
  /** A file relative to the scanned folder, or `upload:<path>` for a request body the platform received. */
  where: string;
  person: string;
  kind: string;
}

function jsonEscaped(text: string, upper: boolean): string {
  return Array.from(text, (ch) => {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) return ch;
    const hex = code.toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  }).join('');
}

export function needlesFor(person: SyntheticPerson): Needle[] {
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

export function findNeedles(content: Buffer, where: string, needles: readonly Needle[]): PrivacyFinding[] {
  const found: PrivacyFinding[] = [];
  for (const needle of needles) {
    if (content.includes(needle.bytes)) found.push({ where, person: needle.person, kind: needle.kind });
  }
  return found;
}

export interface FolderScan {
  files: string[];
  bytes: number;
  found: PrivacyFinding[];
}

/**
 * Reads every regular file under `dir` (symbolic links are not followed: the site's PTY links point
 * at terminals, which a read would block on) and reports each needle found.
 */
export function scanFolder(dir: string, needles: readonly Needle[]): FolderScan {
  const result: FolderScan = { files: [], bytes: 0, found: [] };
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
    result.found.push(...findNeedles(content, where, needles));
  }
  return result;
}
