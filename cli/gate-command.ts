import { parseArgs } from 'node:util';
import { isXinyiError } from '../sdk/errors.js';
import { createJsonLogger } from '../sdk/logger.js';
import { loadGateConfig, readSecret, redactConfig } from './gate/config.js';
import { type GateDaemon, startGateDaemon } from './gate/daemon.js';
import { checkSecretFiles, pseudonymizerFromConfig } from './gate/local-files.js';
import { checkSiteStore } from './gate/site-store.js';
import { usageError } from './usage.js';

export const GATE_USAGE = `  xinyi gate --config FILE [--check]
      The scenic-spot gate daemon: reads its ID-card reader, scanners and gate board, platform
      and policy from FILE (see examples/scenic-gate/gate.json), serves /health, /metrics and
      /diagnostics on its local HTTP port, logs one JSON line per event (no ID numbers), and
      stops cleanly on SIGTERM or SIGINT with every decision committed.
      --check     validate FILE (and that its secrets resolve), print it redacted, check that the
                  site store answers (latency, version), and exit: 1 when something is wrong`;

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
    pseudonymizerFromConfig(config, baseDir);
    if (config.platform) readSecret(config.platform.secret, baseDir, 'platform.secret');
    checkSecretFiles(config, baseDir);
    console.log(JSON.stringify(redactConfig(config), null, 2));
    const problems: string[] = [];
    const site = await checkSiteStore(config, baseDir, 2_000, problems);
    if (site.kind !== 'local') {
      console.log(
        site.reachable
          ? `site store ${site.store}: answers in ${site.latencyMs} ms${site.version ? `, version ${site.version}` : ''}${site.role ? `, ${site.role}` : ''}`
          : `site store ${site.store}: not reachable (${site.error})`,
      );
    }
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
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
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
