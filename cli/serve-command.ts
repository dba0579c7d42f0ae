import { createJsonLogger } from '../sdk/logger.js';
import { loadServeConfig } from './gate/config.js';
import { checkConfigFile, parseConfigCommandArgs } from './gate-command.js';
import { SERVE_USAGE } from './help-text.js';
import { runUntilSignalled } from './run-until-signalled.js';
import { readApiToken } from './serve/api-token.js';
import { startServeService } from './serve/service.js';

/** `xinyi serve`: runs until SIGTERM/SIGINT. */
export async function serveCommand(argv: string[]): Promise<void> {
  const args = parseConfigCommandArgs('serve', SERVE_USAGE, argv);
  if (args === undefined) return;
  const { config, baseDir } = loadServeConfig(args.file);
  if (args.check) {
    await checkConfigFile(config, baseDir, args.file, () => readApiToken(config, baseDir));
    return;
  }
  const logger = createJsonLogger({ level: config.log.level, base: { terminalId: config.terminalId } });
  await runUntilSignalled(logger, 'xinyi serve', { config: args.file }, (signal) =>
    startServeService({ config, baseDir, logger, signal }),
  );
}
