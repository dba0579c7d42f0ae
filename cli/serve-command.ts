import { parseArgs } from 'node:util';
import { createJsonLogger } from '../sdk/logger.js';
import { loadServeConfig } from './gate/config.js';
import { checkConfigFile } from './gate-command.js';
import { SERVE_USAGE } from './help-text.js';
import { runUntilSignalled } from './run-until-signalled.js';
import { readApiToken } from './serve/api-token.js';
import { startServeService } from './serve/service.js';
import { usageError } from './usage.js';

/** `xinyi serve`: runs until SIGTERM/SIGINT. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(`Usage:\n${SERVE_USAGE}`);
    return;
  }
  if (values.config === undefined) throw usageError('serve', '--config FILE is required');
  const { config, baseDir } = loadServeConfig(values.config);
  if (values.check) {
    await checkConfigFile(config, baseDir, values.config, () => readApiToken(config, baseDir));
    return;
  }
  const logger = createJsonLogger({ level: config.log.level, base: { terminalId: config.terminalId } });
  await runUntilSignalled(logger, 'xinyi serve', { config: values.config }, (signal) =>
    startServeService({ config, baseDir, logger, signal }),
  );
}
