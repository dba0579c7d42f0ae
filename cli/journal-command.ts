import { parseArgs } from 'node:util';
import { XinyiError } from '../sdk/errors.js';
import { verifySqliteJournal } from '../sdk/journal/verify-journal.js';
import { readKeyFile } from '../sdk/key-file.js';
import { EXIT_FAILURE, usageError } from './usage.js';

async function verify(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { db: { type: 'string' }, 'secret-file': { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (positionals.length > 0) throw usageError('journal', `unexpected argument '${positionals[0]}'`);
  if (values.db === undefined) throw usageError('journal', 'verify needs --db PATH');
  let secret: Buffer | undefined;
  if (values['secret-file'] !== undefined) {
    try {
      secret = readKeyFile(values['secret-file']);
    } catch (cause) {
      throw new XinyiError(
        'CONFIG_INVALID',
        `cannot read the secret file ${values['secret-file']}: ${(cause as Error).message}`,
        {
          cause,
          details: { field: 'secret-file' },
        },
      );
    }
  }
  const report = await verifySqliteJournal({
    path: values.db,
    ...(secret === undefined ? {} : { secretFor: () => secret }),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const { checked, unchained } = report;
    process.stdout.write(
      `checked ${checked.decisions} decisions, ${checked.disclosures} disclosure records, ${checked.uses} benefit uses; ` +
        `signatures ${report.signaturesChecked ? 'checked' : 'not checked (no --secret-file)'}\n`,
    );
    for (const p of report.problems) {
      process.stdout.write(
        `${p.problem}: ${p.kind} of terminal '${p.terminalId}' at link ${p.seq}${p.id === undefined ? '' : ` (record ${p.id})`}\n`,
      );
    }
    for (const [kind, n] of Object.entries(unchained)) {
      if (n > 0) process.stdout.write(`unchained: ${n} ${kind} carry no link\n`);
    }
    process.stdout.write(report.ok ? 'journal intact\n' : 'journal CHANGED since it was written\n');
  }
  if (!report.ok) process.exitCode = EXIT_FAILURE;
}

export async function journalCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'verify') return verify(rest);
  throw usageError(
    'journal',
    sub === undefined ? 'a subcommand is required (verify)' : `unknown subcommand '${sub}'`,
  );
}
