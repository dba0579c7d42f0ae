import { readFileSync } from 'node:fs';
import { XinyiError } from './errors.js';

/**
 * Reads a JSON configuration file (a gate config, a scenario). `CONFIG_INVALID` when it cannot be
 * read or is not JSON, naming the file and what it was meant to be.
 */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new XinyiError('CONFIG_INVALID', `cannot read the ${what} ${file}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new XinyiError('CONFIG_INVALID', `${file} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}
