import { parseArgs } from 'node:util';
import { systemClock } from '../sdk/clock.js';
import { isXinyiError } from '../sdk/errors.js';
import { createJsonLogger } from '../sdk/logger.js';
import { checkConfiguration } from './doctor-command.js';
import { loadGateConfig, redactConfig } from './gate/config.js';
import { type GateDaemon, startGateDaemon } from './gate/daemon.js';
import { GATE_USAGE } from './help-text.js';
import { usageError } from './usage.js';

/** How long `--check` waits for the platform and the site store. */
const CHECK_TIMEOUT_MS = 2_000;

/** A second signal this soon after the first is the same Ctrl-C relayed by a launcher, not a second press. */
const REPEATED_SIGNAL_WINDOW_MS = 1_000;

/** `xinyi gate`: runs until SIGTERM/SIGINT. */
export async function gateCommand(argv: string[]): Promise<void> {
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
    console.log(`Usage:\n${GATE_USAGE}`);
    return;
  }
  if (values.config === undefined) throw usageError('gate', '--config FILE is required');
  const { config, baseDir } = loadGateConfig(values.config);
  if (values.check) {
    console.log(JSON.stringify(redactConfig(config), null, 2));
    const problems: string[] = [];
    const warnings: string[] = [];
    // doctor's own checks of the configuration (it adds the devices and the daemon's state).
    const report = await checkConfiguration(
      config,
      baseDir,
      { timeoutMs: CHECK_TIMEOUT_MS, clock: systemClock, calendarCoverage: false },
      problems,
      warnings,
    );
    const site = report.site;
    if (site !== undefined && site.kind !== 'local') {
      console.log(
        site.reachable
          ? `site store ${site.store}: answers in ${site.latencyMs} ms${site.version ? `, version ${site.version}` : ''}${site.role ? `, ${site.role}` : ''}`
          : `site store ${site.store}: not reachable (${site.error})`,
      );
    }
    if (report.platform?.status === 200) {
      console.log(`platform ${report.platform.baseUrl}: answers in ${report.platform.ms} ms`);
    }
    for (const warning of warnings) console.log(`warning: ${warning}`);
    for (const problem of problems) console.log(`problem: ${problem}`);
    if (problems.length > 0) {
      console.log(`${values.config}: valid, but ${problems.length} problem(s) above`);
      process.exitCode = 1;
      return;
    }
    console.log(`${values.config}: valid`);
    return;
  }
  const logger = createJsonLogger({ level: config.log.level, base: { terminalId: config.terminalId } });
  process.on('unhandledRejection', (reason) => {
    // Logged, not fatal: every decision is committed before it is acted on, so nothing is at risk.
    logger.error({ err: isXinyiError(reason) ? reason.code : String(reason) }, 'unhandled rejection');
  });
  const starting = new AbortController();
  let daemon: GateDaemon | undefined;
  let firstSignalAt: number | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      const now = Date.now();
      if (firstSignalAt !== undefined) {
        // A launcher relays the terminal's Ctrl-C that this process got too (npm, a shell wrapper):
        // the same keypress, twice within moments. Only a later signal means "do not wait".
        if (now - firstSignalAt < REPEATED_SIGNAL_WINDOW_MS) {
          logger.info({ signal }, 'signal repeated by the launcher: already stopping');
          return;
        }
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      firstSignalAt = now;
      logger.info({ signal }, 'signal received');
      if (daemon === undefined) {
        starting.abort();
        resolve();
        return;
      }
      daemon.stop().then(
        () => resolve(),
        (error: unknown) => {
          logger.error({ err: String(error) }, 'stop failed');
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  logger.info({ pid: process.pid, config: values.config }, 'gate daemon starting');
  try {
    daemon = await startGateDaemon({ config, baseDir, logger, signal: starting.signal });
  } catch (error) {
    if (starting.signal.aborted) return;
    throw error;
  }
  // A signal that came while the daemon was starting: stop what has started.
  if (starting.signal.aborted) await daemon.stop();
  await stopped;
}
