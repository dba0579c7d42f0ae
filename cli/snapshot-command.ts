import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSnapshotHeader } from '../sdk/credit/snapshot-format.js';
import { openSnapshotStore, type SnapshotApplyProgress } from '../sdk/credit/snapshot-store.js';
import { XinyiError } from '../sdk/errors.js';
import { usageError } from './usage.js';

/** Where progress goes: stderr, so that stdout carries only the result. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

const number = (n: number) => n.toLocaleString('en-US');

/**
 * Renders apply progress: on a terminal one line rewritten in place, elsewhere (a log, a pipe, CI)
 * one plain line per report, since carriage returns turn a log file into one unreadable line.
 */
export function createApplyProgress(out: ProgressOutput): (progress: SnapshotApplyProgress) => void {
  const tty = out.isTTY === true;
  return ({ phase, kind, sequence, done, total }) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const counts = `${number(done)} / ${number(total)} (${percent}%)`;
    switch (phase) {
      case 'verified':
        out.write(`signature verified: ${kind} snapshot #${sequence}, ${number(total)} records\n`);
        break;
      case 'applying':
        out.write(tty ? `\r\u001b[Kapplying ${counts}` : `applying ${counts}\n`);
        break;
      case 'committed':
        out.write(tty ? `\r\u001b[Kcommitted ${counts}\n` : `committed ${counts}\n`);
        break;
    }
  };
}

/** Records between two progress reports: a smooth line on a terminal, about ten lines in a log. */
export function progressInterval(total: number, tty: boolean): number {
  return Math.max(1, Math.ceil(total / (tty ? 200 : 10)));
}

async function apply(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'public-key': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined) throw usageError('snapshot', 'apply needs the snapshot FILE');
  if (extra.length > 0) throw usageError('snapshot', `unexpected argument '${extra[0]}'`);
  if (values.db === undefined) throw usageError('snapshot', '--db PATH is required');
  const keyFiles = values['public-key'] ?? [];
  if (keyFiles.length === 0) throw usageError('snapshot', '--public-key PEMFILE is required');

  const publicKeys = keyFiles.map((f) => readFileSync(f, 'utf8'));
  const bytes = readFileSync(file);
  const header = parseSnapshotHeader(bytes);
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  const store = await openSnapshotStore({ path: values.db });
  try {
    const result = store.apply(bytes, {
      publicKeys,
      onProgress: createApplyProgress(process.stderr),
      progressEvery: progressInterval(header.recordCount + header.deletionCount, tty),
    });
    const seconds = (Date.now() - started) / 1000;
    if (values.json) {
      console.log(JSON.stringify({ ...result, info: store.info(), seconds }, null, 2));
    } else {
      console.log(
        `applied ${result.kind} snapshot #${result.sequence} to ${resolve(values.db)}: ${number(result.count)} subjects (${number(result.upserted)} written, ${number(result.deleted)} deleted) in ${seconds.toFixed(1)} s`,
      );
    }
  } finally {
    store.close();
  }
}

async function info(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string' } }, strict: true });
  if (values.db === undefined) throw usageError('snapshot', '--db PATH is required');
  // Opening creates a database; asking what a mistyped path holds must not.
  if (!existsSync(values.db))
    throw new XinyiError('STORE_UNAVAILABLE', `no snapshot database at ${values.db}`);
  const store = await openSnapshotStore({ path: values.db });
  try {
    console.log(JSON.stringify(store.info(), null, 2));
  } finally {
    store.close();
  }
}

/** `xinyi snapshot apply|info`. */
export async function snapshotCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'apply':
      return apply(rest);
    case 'info':
      return info(rest);
    case undefined:
      throw usageError('snapshot', 'give a subcommand: apply or info');
    default:
      throw usageError('snapshot', `unknown subcommand '${sub}'`);
  }
}
