import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { isXinyiError, XinyiError } from '../sdk/errors.js';
import { maskIdNumber } from '../sdk/identity/index.js';
import { createJsonLogger } from '../sdk/logger.js';
import type { PassageBehaviour } from '../simulator/devices/virtual-gate-core.js';
import { type PanelServer, startPanelServer } from '../simulator/panel/panel-server.js';
import {
  type CodeDevice,
  SIMULATION_FAULTS,
  Simulation,
  type SimulationFault,
  type SimulationLaneStarter,
} from '../simulator/panel/simulation.js';
import { isSocatAvailable } from '../simulator/pty.js';
import {
  formatScenarioStep,
  loadScenario,
  playScenario,
  type Scenario,
  type ScenarioProgress,
} from '../simulator/scenario.js';
import { type SimulatedSiteStore, type SiteDevice, startSimulatedSite } from '../simulator/simulated-site.js';
import { parseGateConfig } from './gate/config.js';
import { startGateDaemon } from './gate/daemon.js';
import { usageError, xinyiInvocation } from './usage.js';

const BEHAVIOURS: readonly PassageBehaviour[] = ['pass', 'no-pass', 'tailgate', 'push-back'];
const DEVICES: readonly SiteDevice[] = ['gate', 'id-card-reader', 'scanner'];

export interface SiteCommandOptions {
  /** Required without `ui` and `scenario`. */
  dir?: string;
  platformPort?: string;
  httpPort?: string;
  seed?: string;
  people?: string;
  /** Serve the control panel. */
  ui?: boolean;
  /** The panel's port. @default 7300 */
  port?: string;
  /** A scenario file to play. */
  scenario?: string;
  /** false: no in-process gate lane (the PTYs stay free for another program). @default true */
  lane?: boolean;
  /** Lanes of the site (1–16). @default 1 */
  lanes?: string;
  /** A Redis URL the lanes share their state in (default with several lanes: DIR/site.sqlite). */
  redis?: string;
}

/** `--lanes` and `--redis` as the simulated site takes them. */
function siteShape(options: SiteCommandOptions): { lanes: number; store?: SimulatedSiteStore } {
  const lanes = options.lanes === undefined ? 1 : Number(options.lanes);
  if (!Number.isInteger(lanes) || lanes < 1 || lanes > 16) throw usageError('sim', '--lanes must be 1–16');
  if (options.redis === undefined) return { lanes };
  if (!URL.canParse(options.redis) || !/^rediss?:$/.test(new URL(options.redis).protocol)) {
    throw usageError('sim', '--redis must be a redis:// or rediss:// URL');
  }
  return { lanes, store: { redisUrl: options.redis } };
}

/**
 * `xinyi sim --site DIR`: runs until `quit`, the end of stdin, or SIGINT/SIGTERM. With `--ui` or
 * `--scenario`, the simulation with its in-process lane, the panel and the scenario player.
 */
export async function siteCommand(options: SiteCommandOptions): Promise<void> {
  if (options.ui || options.scenario !== undefined) return simulationCommand(options);
  if (options.dir === undefined) throw usageError('sim', '--site DIR is required');
  if (!isSocatAvailable()) {
    throw new XinyiError('NATIVE_MODULE_UNAVAILABLE', 'xinyi sim --site needs socat: apt-get install socat');
  }
  const dir = resolve(options.dir);
  const shape = siteShape(options);
  const site = await startSimulatedSite({
    dir,
    platformPort: Number(options.platformPort ?? 18_080),
    ...(options.seed ? { seed: options.seed } : {}),
    people: Number(options.people ?? 40),
    lanes: shape.lanes,
    ...(shape.store ? { store: shape.store } : {}),
  });
  const httpPort = Number(options.httpPort ?? 9464);
  const many = site.lanes.length > 1;
  const configFiles = site.lanes.map((lane) => {
    const file = join(dir, lane.index === 0 ? 'gate.json' : `gate-${lane.index + 1}.json`);
    const direction = many && lane.index === site.lanes.length - 1 ? 'exit' : 'entry';
    const config = site.gateConfig(
      {
        http: { host: '127.0.0.1', port: httpPort === 0 ? 0 : httpPort + lane.index },
        ...(many ? { lane: { direction, antiPassback: true } } : {}),
      },
      lane.index,
    );
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    return file;
  });
  console.log(`site ready in ${dir}`);
  for (const lane of site.lanes) {
    const label = many ? `lane ${lane.index + 1} ` : '';
    console.log(`  ${label}ID-card reader ${lane.paths.idCardReader} (115200 8N1)`);
    console.log(`  ${label}QR scanner     ${lane.paths.scanner}`);
    console.log(
      `  ${label}gate board     ${lane.paths.gate} (AA-frame, 9600 8N1, address 0x${lane.gate.address.toString(16)})`,
    );
  }
  console.log(`  platform       ${site.platform.url}`);
  if (site.store !== 'local') {
    console.log(`  site store     ${'sqlite' in site.store ? site.store.sqlite : site.store.redisUrl}`);
  }
  for (const file of configFiles) console.log(`now run:  ${xinyiInvocation()} gate --config ${file}`);
  site.lanes.forEach((lane) => {
    let lastPhase = '';
    lane.gate.core.on('change', (s) => {
      const line = `${s.phase}${s.direction ? ` ${s.direction}` : ''}${s.alarms.length ? ` alarms ${s.alarms.join(',')}` : ''}`;
      if (line === lastPhase) return;
      lastPhase = line;
      console.log(
        `  ${many ? `lane ${lane.index + 1} ` : ''}gate: ${line}  (in ${s.entryCount}, out ${s.exitCount})`,
      );
    });
  });
  let lastCode: string | undefined;

  await new Promise<void>((done) => {
    const lines = createInterface({ input: process.stdin });
    const finish = () => {
      lines.close();
      process.stdin.destroy();
      done();
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    lines.on('close', finish);
    lines.on('line', (line) => {
      const [command, arg, extra, last] = line.trim().split(/\s+/);
      const person = arg === undefined ? undefined : site.people[Number(arg)];
      /** The lane named by a 1-based number (default 1), or undefined after saying what is wrong. */
      const laneAt = (value: string | undefined) => {
        const lane = site.lanes[value === undefined ? 0 : Number(value) - 1];
        if (!lane) console.log(`no lane ${value}; there are ${site.lanes.length}`);
        return lane;
      };
      switch (command) {
        case 'tap': {
          if (!person) return void console.log(`no person ${arg}; there are ${site.people.length}`);
          const lane = laneAt(extra);
          if (!lane) return;
          console.log(
            `card ${arg} tapped${many ? ` at lane ${lane.index + 1}` : ''}: ${maskIdNumber(person.idNumber)} (${person.tier})`,
          );
          void lane.tap(person);
          break;
        }
        case 'code': {
          const phone = person ? site.phones.get(person.id) : undefined;
          if (!phone) return void console.log(`person ${arg} has no credit code`);
          const lane = laneAt(extra);
          if (!lane) return;
          lastCode = phone.present(Date.now());
          console.log(`code ${arg} shown to the scanner${many ? ` of lane ${lane.index + 1}` : ''}`);
          void lane.scan(lastCode);
          break;
        }
        case 'screenshot': {
          if (lastCode === undefined) return void console.log('no code was shown yet');
          const lane = laneAt(arg);
          if (!lane) return;
          console.log(`the last code shown again (a screenshot) at lane ${lane.index + 1}`);
          void lane.scan(lastCode);
          break;
        }
        case 'people':
          site.people.forEach((p, i) => {
            const lists = p.lists.map((l) => l.kind).join(',');
            console.log(
              `${String(i).padStart(3)}  ${maskIdNumber(p.idNumber)}  ${p.tier.padEnd(3)} ${lists}${site.phones.has(p.id) ? '' : ' (no code)'}`,
            );
          });
          break;
        case 'behaviour': {
          if (!BEHAVIOURS.includes(arg as PassageBehaviour))
            return void console.log(`behaviours: ${BEHAVIOURS.join(' ')}`);
          const targets = extra === undefined ? site.lanes : [laneAt(extra)].filter((l) => l !== undefined);
          for (const lane of targets) lane.gate.core.setDefaultBehaviour(arg as PassageBehaviour);
          console.log(`people now: ${arg}${extra === undefined ? '' : ` at lane ${extra}`}`);
          break;
        }
        case 'unplug': {
          if (!DEVICES.includes(arg as SiteDevice)) return void console.log(`devices: ${DEVICES.join(' ')}`);
          const lane = laneAt(last);
          if (!lane) return;
          void lane.unplug(arg as SiteDevice, Number(extra ?? 3000));
          console.log(
            `${arg}${many ? ` of lane ${lane.index + 1}` : ''} unplugged for ${Number(extra ?? 3000)} ms`,
          );
          break;
        }
        case 'platform':
          site.platform.faults.clear();
          if (arg === 'down')
            site.platform.faults.inject({ kind: 'status', status: 503 }, { times: 1_000_000 });
          console.log(`platform ${arg === 'down' ? 'down (503)' : 'up'}`);
          break;
        case 'quit':
          finish();
          break;
        case undefined:
        case '':
          break;
        default:
          console.log(
            'commands: tap N [LANE] | code N [LANE] | screenshot LANE | people | behaviour B [LANE]' +
              ' | unplug DEVICE [MS] [LANE] | platform down|up | quit',
          );
      }
    });
  });
  await site.close();
}

/** The simulation's gate lane: the `xinyi gate` daemon itself, on the site's configuration. */
export const startGateLane: SimulationLaneStarter = ({ config, baseDir, logger, clock }) =>
  startGateDaemon({ config: parseGateConfig(config, 'simulation lane'), baseDir, logger, clock });

function integerOption(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw usageError('sim', `${flag} must be a whole number`);
  return number;
}

/** `xinyi sim --ui` / `--scenario FILE`: runs until `quit`, SIGINT or SIGTERM, or (headless) the scenario's end. */
async function simulationCommand(options: SiteCommandOptions): Promise<void> {
  if (!isSocatAvailable()) {
    throw new XinyiError(
      'SYSTEM_PROGRAM_UNAVAILABLE',
      'xinyi sim needs socat for its device PTYs: apt-get install socat',
      { details: { program: 'socat' } },
    );
  }
  const scenario = options.scenario === undefined ? undefined : loadScenario(options.scenario);
  const dir = resolve(options.dir ?? join(tmpdir(), 'xinyi-sim'));
  const lane = options.lane !== false;
  const seed = options.seed ?? scenario?.seed;
  const people = integerOption(options.people, '--people', scenario?.people ?? 40);
  const platformPort = integerOption(options.platformPort, '--platform-port', 18_080);
  const panelPort = integerOption(options.port, '--port', 7300);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'lane.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const shape = siteShape(options);
  const simulation = await Simulation.start({
    dir,
    ...(seed ? { seed } : {}),
    people,
    platformPort,
    lanes: shape.lanes,
    ...(shape.store ? { store: shape.store } : {}),
    ...(lane ? { lane: startGateLane } : {}),
    ...(scenario?.clock ? { clock: scenario.clock } : {}),
    logger: createJsonLogger({
      write: (line) => log.write(line),
      base: { terminalId: 'gate-yunmenshan-01' },
    }),
  });
  let panel: PanelServer | undefined;
  try {
    const { paths, platformUrl } = simulation.status();
    console.log(`simulated site in ${dir}`);
    console.log(`  ID-card reader ${paths.idCardReader} (115200 8N1)`);
    console.log(`  QR scanner     ${paths.scanner}`);
    console.log(`  gate board     ${paths.gate} (AA-frame, 9600 8N1)`);
    console.log(`  platform       ${platformUrl}`);
    const { lanes } = simulation.status();
    if (lanes.length > 1) {
      console.log(`  lanes          ${lanes.map((l) => `${l.terminalId} (${l.direction})`).join(', ')}`);
      const store = simulation.site.store;
      if (store !== 'local')
        console.log(`  site store     ${'sqlite' in store ? store.sqlite : store.redisUrl}`);
    }
    if (lane) {
      console.log(`  gate lane${lanes.length > 1 ? 's' : ' '}     in this process; log: ${logFile}`);
    } else {
      const configFile = join(dir, 'gate.json');
      writeFileSync(configFile, `${JSON.stringify(simulation.site.gateConfig(), null, 2)}\n`);
      console.log(
        `  no gate lane:  run yours on the PTYs, or  ${xinyiInvocation()} gate --config ${configFile}`,
      );
    }
    if (options.ui) {
      panel = await startPanelServer({ simulation, port: panelPort });
      console.log(`control panel    ${panel.url}`);
    }
    if (scenario && !options.ui) {
      if (!(await runScenario(simulation, scenario, undefined))) process.exitCode = 1;
      return;
    }
    const stop = new AbortController();
    const playing = scenario ? runScenario(simulation, scenario, panel, stop.signal) : Promise.resolve(true);
    await commandLoop(simulation);
    stop.abort();
    await playing;
  } finally {
    await panel?.close();
    await simulation.close();
    log.end();
  }
}

/** Plays the scenario, printing each event; resolves with whether every expectation was met. */
async function runScenario(
  simulation: Simulation,
  scenario: Scenario,
  panel: PanelServer | undefined,
  signal?: AbortSignal,
): Promise<boolean> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  signal?.addEventListener('abort', onSignal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const total = scenario.events.length;
  const publish = (progress: ScenarioProgress) => panel?.publish('scenario', progress);
  try {
    await simulation.whenReady();
    console.log(`scenario "${scenario.name}": ${total} events`);
    publish({ name: scenario.name, state: 'running', index: 0, total, failures: 0 });
    const report = await playScenario(scenario, simulation, {
      signal: stop.signal,
      onStep: (step, progress) => {
        console.log(formatScenarioStep(step));
        publish(progress);
      },
    });
    const state = stop.signal.aborted ? 'stopped' : report.passed ? 'passed' : 'failed';
    publish({ name: scenario.name, state, index: report.steps.length, total, failures: report.failures });
    console.log(
      `scenario "${scenario.name}" ${state}: ${report.steps.length}/${total} events, ` +
        `${report.failures} failed expectation(s), ${(report.durationMs / 1000).toFixed(1)} s`,
    );
    return report.passed;
  } catch (error) {
    console.log(
      `scenario "${scenario.name}" stopped: ${isXinyiError(error) ? `${error.code}: ${error.message}` : String(error)}`,
    );
    publish({ name: scenario.name, state: 'stopped', index: 0, total, failures: 0 });
    return false;
  } finally {
    signal?.removeEventListener('abort', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const SIMULATION_COMMANDS =
  'commands: tap N [LANE] | code N [camera|LANE] | screenshot LANE | people | fault NAME on|off [MS]' +
  ' | revoke N [off] | unplug DEVICE [MS] | clock YYYY-MM-DD|off | behaviour B | quit';

/** Stdin commands beside the panel, until `quit`, SIGINT or SIGTERM (the end of stdin does not stop the panel). */
function commandLoop(simulation: Simulation): Promise<void> {
  return new Promise<void>((done) => {
    const lines = createInterface({ input: process.stdin });
    const finish = () => {
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      lines.close();
      // readline leaves stdin open, which would keep the process alive after `quit`.
      process.stdin.destroy();
      done();
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    const report = (work: Promise<unknown>) =>
      work.catch((error: unknown) =>
        console.log(isXinyiError(error) ? `${error.code}: ${error.message}` : String(error)),
      );
    lines.on('line', (line) => {
      const [command, arg, extra, value] = line.trim().split(/\s+/);
      const index = Number(arg);
      void report(
        (async () => {
          switch (command) {
            case 'tap':
              return simulation.tap(index, extra === undefined ? 0 : Number(extra) - 1);
            case 'code':
              return extra === 'camera' || extra === 'scanner' || extra === undefined
                ? simulation.showCode(index, (extra ?? 'scanner') as CodeDevice)
                : simulation.showCode(index, 'scanner', Number(extra) - 1);
            case 'screenshot':
              return simulation.showScreenshot(index - 1);
            case 'people':
              for (const p of simulation.people()) {
                console.log(
                  `${String(p.index).padStart(3)}  ${p.masked}  ${p.tier.padEnd(3)} ${p.trustworthy ? '守信' : '    '}` +
                    ` ${p.lists.join(',')}${p.hasCode ? '' : ' (no code)'}${p.revoked ? ' (revoked)' : ''}`,
                );
              }
              return;
            case 'fault':
              if (!SIMULATION_FAULTS.includes(arg as SimulationFault)) {
                return void console.log(`faults: ${SIMULATION_FAULTS.join(' ')}`);
              }
              simulation.setFault(
                arg as SimulationFault,
                extra !== 'off',
                value === undefined ? undefined : Number(value),
              );
              return void console.log(`${arg} ${extra === 'off' ? 'off' : 'on'}`);
            case 'revoke':
              return simulation.revoke(index, extra !== 'off');
            case 'unplug':
              return simulation.unplug(arg as SiteDevice, extra === undefined ? 3_000 : Number(extra));
            case 'clock':
              return simulation.setClock(arg === undefined || arg === 'off' ? null : arg);
            case 'behaviour':
              return simulation.setBehaviour(arg as PassageBehaviour);
            case 'quit':
              return finish();
            case undefined:
            case '':
              return;
            default:
              console.log(SIMULATION_COMMANDS);
          }
        })(),
      );
    });
  });
}
