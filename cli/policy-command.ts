import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../sdk/clock.js';
import { loadGateConfig } from './gate/config.js';
import { installDocument } from './gate/documents.js';
import { usageError } from './usage.js';

/** `xinyi policy import`. */
export async function policyCommand(argv: string[]): Promise<void> {
  const { values, positionals: all } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    strict: true,
  });
  const [sub, ...positionals] = all;
  if (sub !== 'import') {
    throw usageError('policy', sub === undefined ? 'say import' : `unknown subcommand '${sub}'`);
  }
  if (positionals.length !== 1) throw usageError('policy', 'import takes one FILE');
  if (values.config === undefined)
    throw usageError('policy', 'import needs --config FILE (the gate configuration)');
  const { config, baseDir } = loadGateConfig(values.config);
  const file = positionals[0]!;
  const result = await installDocument({ kind: 'policy-pack', file, config, baseDir, clock: systemClock });
  const content = JSON.parse(JSON.parse(readFileSync(file, 'utf8')).payload) as {
    effectiveFrom?: string;
    pack: { packId: string; version: string };
  };
  const summary = {
    ...result,
    policyVersion: `${content.pack.packId}@${content.pack.version}`,
    effectiveFrom: content.effectiveFrom ?? 'on receipt',
  };
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(
      `${result.outcome} policy-pack document version ${result.version} (${summary.policyVersion}, effective ${summary.effectiveFrom}) at ${result.path}`,
    );
  }
}
