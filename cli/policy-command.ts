import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../sdk/clock.js';
import { loadGateConfig } from './gate/config.js';
import { installDocument } from './gate/documents.js';
import { usageError } from './usage.js';

export const POLICY_USAGE = `  xinyi policy import FILE --config FILE [--json]
      Verifies a signed policy-pack document (its signature with the daemon's cached trust list or
      the configuration's policy.publicKey, its pack with loadPolicyPack), refuses one older than
      the daemon holds, and installs it in the daemon's data folder; a running daemon takes it
      without a restart and applies it from its effectiveFrom.`;

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
