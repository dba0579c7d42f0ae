import { parseArgs } from 'node:util';
import { systemClock } from '../sdk/clock.js';
import { createJsonLogger } from '../sdk/logger.js';
import { checkConfiguration } from './doctor-command.js';
import { type GateConfig, loadGateConfig, redactConfig, type TerminalHostConfig } from './gate/config.js';
import { startGateDaemon } from './gate/daemon.js';
import { GATE_USAGE } from './help-text.js';
import { runUntilSignalled } from './run-until-signalled.js';
import { usageError } from './usage.js';

/** How long `--check` waits for the platform and the site store. */
const CHECK_TIMEOUT_MS = 2_000;

/** `xinyi gate`: runs until SIGTERM/SIGINT. */
export async function gateCommand(argv: string[]): Promise<void> {
  const args = parseConfigCommandArgs('gate', GATE_USAGE, argv);
  if (args === undefined) return;
  const { config, baseDir } = loadGateConfig(args.file);
  if (args.check) {
    await checkConfigFile(config, baseDir, args.file);
    return;
  }
  const logger = createJsonLogger({ level: config.log.level, base: { terminalId: config.terminalId } });
  await runUntilSignalled(logger, 'gate daemon', { config: args.file }, (signal) =>
    startGateDaemon({ config, baseDir, logger, signal }),
  );
}

/**
 * The arguments of `xinyi gate` and `xinyi serve`: `--config FILE [--check]`. With `--help` the usage is
 * printed and the answer is undefined (nothing more to do).
 */
export function parseConfigCommandArgs(
  command: string,
  usage: string,
  argv: string[],
): { file: string; check: boolean } | undefined {
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
    console.log(`Usage:\n${usage}`);
    return undefined;
  }
  if (values.config === undefined) throw usageError(command, '--config FILE is required');
  return { file: values.config, check: values.check === true };
}

/**
 * `--check` of `xinyi gate` and `xinyi serve`: prints the configuration redacted and runs every check
 * of `xinyi doctor` that needs no device and no running service (`check` adds the command's own, and
 * throws `CONFIG_INVALID` for what it refuses); one "problem:" line each, exit code 1 when there is one.
 */
export async function checkConfigFile(
  config: TerminalHostConfig,
  baseDir: string,
  file: string,
  check: () => void = () => {},
): Promise<void> {
  check();
  console.log(JSON.stringify(redactConfig(config), null, 2));
  const problems: string[] = [];
  const warnings: string[] = [];
  // doctor's own checks of the configuration (it adds the devices and the daemon's state).
  const report = await checkConfiguration(
    // Its checks read no device and no lane: the part every terminal host's configuration has.
    config as GateConfig,
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
    console.log(`${file}: valid, but ${problems.length} problem(s) above`);
    process.exitCode = 1;
    return;
  }
  console.log(`${file}: valid`);
}
