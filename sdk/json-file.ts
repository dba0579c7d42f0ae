import { readFileSync } from 'node:fs';
import { XinyiError } from './errors.js';

/**
 * Reads a JSON configuration file (a gate config, a scenario). `CONFIG_INVALID` when it cannot be
 * read or is not JSON, naming the file and what it was meant to be; for a syntax error the message
 * says `line L, column C` (1-based, columns in characters) and what was expected there, and
 * `details.line` / `details.column` hold them. The message quotes none of the file's text beyond
 * the one character at fault (a configuration may hold an inline secret).
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
  } catch {
    // Not JSON.parse's error as the cause: V8 quotes the text in it, and the text may hold a secret.
    const { offset, reason } = jsonSyntaxError(text);
    const { line, column } = lineAndColumn(text, offset);
    throw new XinyiError(
      'CONFIG_INVALID',
      `${file}: not valid JSON at line ${line}, column ${column}: ${reason}`,
      { details: { line, column } },
    );
  }
}

/** One thing wrong in a configuration: the field's dot path (`(root)` for the whole) and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * `CONFIG_INVALID` listing every problem, one per line (`source: path: message`), so one run of
 * `xinyi gate --check` (or a scenario's load) shows all there is to fix; `details.path` is the first
 * problem's path and `details.problems` how many there are (the CLI prints every line when > 1).
 */
export function configProblemsError(source: string, problems: readonly ConfigProblem[]): XinyiError {
  const lines = problems.map((p) => `${source}: ${p.path}: ${p.message}`);
  const message =
    problems.length === 1 ? lines[0]! : `${source}: ${problems.length} problems\n${lines.join('\n')}`;
  return new XinyiError('CONFIG_INVALID', message, {
    details: { path: problems[0]?.path ?? '(root)', problems: problems.length },
  });
}

/** A zod-style issue path as a configuration path: `events.3.fault`, `(root)` when empty. */
export function configPathOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** 1-based line and column (in UTF-16 code units of the line) of an offset into `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where the first syntax error of a text that is not JSON is (RFC 8259), and what was expected:
 * `JSON.parse` says only "Unexpected token" for most errors, without a position.
 */
export function jsonSyntaxError(text: string): { offset: number; reason: string } {
  let i = 0;
  const fail = (reason: string): never => {
    throw { offset: i, reason };
  };
  const shown = () => (i >= text.length ? 'the end of the file' : `'${text[i]}'`);
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail('a string is not closed (a missing ")');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('a line break or control character inside a string (write it as \\n, \\t …)');
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('\\u needs four hex digits');
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail(`${shown()} cannot follow a backslash in a string`);
        continue;
      }
      i++;
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (match === null || match[0] === '-') fail(`${shown()} does not start a value`);
    i += match![0].length;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${shown()}`);
        string();
        space();
        if (text[i] !== ':') fail(`expected ':' after the property name, found ${shown()}`);
        i++;
        value();
        space();
        if (text[i] === ',') {
          i++;
          space();
          if (text[i] === '}') fail("a ',' before '}' (JSON has no trailing commas)");
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after a property value, found ${shown()}`);
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[i] === ',') {
          i++;
          space();
          if (text[i] === ']') fail("a ',' before ']' (JSON has no trailing commas)");
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' after an array element, found ${shown()}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (c === undefined) fail('the file ends where a value was expected');
    if (c === "'") fail("strings take double quotes, not '");
    if (c === '/') fail('JSON has no comments');
    number();
  };
  try {
    if (text.charCodeAt(0) === 0xfeff)
      fail('the file starts with a byte-order mark (save it as UTF-8 without BOM)');
    value();
    space();
    if (i < text.length) fail(`${shown()} after the end of the JSON value`);
  } catch (error) {
    if (error !== null && typeof error === 'object' && 'offset' in error) {
      return error as { offset: number; reason: string };
    }
    throw error;
  }
  // JSON.parse refused what this reading accepts: say so without a position of our own.
  return { offset: 0, reason: 'not valid JSON' };
}
