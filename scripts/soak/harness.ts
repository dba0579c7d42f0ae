// The soak: the gate daemon (a child process, restarted after each SIGKILL) and a checkout terminal
// (in this process) on one simulated site, under arrivals and seeded random faults; then a drain, the
// checks and the report. This file runs the phases in order; the state they share is one `SoakRun`
// (run-state.ts), and each part is its own file:
//   gate-daemon.ts        the daemon's configuration, starts and health
//   gate-arrivals.ts      people at the gate; gate-attribution.ts matches decisions to them
//   checkout-terminal.ts  the checkout terminal; checkout-arrivals.ts people at the checkout
//   fault-schedule.ts     when faults happen; fault-episodes.ts what each does
//   platform-intake.ts    what the platform receives; resource-sampling.ts memory and FDs
//   delivery-checks.ts    losses and duplicates; invariants.ts the verdicts; build-report.ts the report
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPseudonymizer, createSqliteJournal, isXinyiError } from '../../sdk/index.js';
import { readKeyFile } from '../../sdk/key-file.js';
import { personalDataForms, scanFolderForPersonalData } from '../../simulator/privacy-scan.js';
import { createRng } from '../../simulator/prng.js';
import { startSimulatedSite } from '../../simulator/simulated-site.js';
import { soakReport, summariseRun } from './build-report.js';
import { checkoutArrivals } from './checkout-arrivals.js';
import { startCheckout } from './checkout-terminal.js';
import { checkDelivery, readJournalRows } from './delivery-checks.js';
import { deviceFaults, platformFaults } from './fault-schedule.js';
import { gateArrivals, watchCardReads } from './gate-arrivals.js';
import { indexPeopleByPseudonym } from './gate-attribution.js';
import { devicesReady, startDaemon, writeGateConfig } from './gate-daemon.js';
import { getJson, sleep } from './helpers.js';
import { DEFAULT_MARGIN_MS, DEVICE_RECOVERY_MS, DRAIN_MS, SAMPLE_INTERVAL_MS } from './limits.js';
import { harvestPlatformRequests } from './platform-intake.js';
import type { SoakReport } from './report-shape.js';
import { sampleResources } from './resource-sampling.js';
import { createSoakRun, sinceStart } from './run-state.js';

export interface SoakOptions {
  minutes: number;
  seed: string;
  /**
   * Two of each fault kind first, in a seeded order with short durations, then random faults; the
   * run lasts at least until the forced ones are done.
   */
  forceEarly?: boolean;
  /** Working folder (site, logs, journals); a temporary one when absent. */
  dir?: string;
  /** Keep the working folder. @default false */
  keep?: boolean;
  marginMs?: number;
  /** The command line, for the report. */
  command: string;
  /** Progress lines. @default none */
  progress?: (line: string) => void;
}

/** Runs the soak and returns its report (the caller prints it, writes it, and sets the exit code). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const startedAtMs = Date.now();
  const startedAt = new Date(startedAtMs).toISOString();
  const rng = createRng(`soak:${options.seed}`);
  const marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
  const progress = options.progress ?? (() => {});
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'xinyi-soak-'));
  mkdirSync(dir, { recursive: true });
  const dirs = {
    root: dir,
    logs: join(dir, 'logs'),
    checkout: join(dir, 'checkout'),
    gateData: join(dir, 'gate-data'),
  };
  mkdirSync(dirs.logs, { recursive: true });
  mkdirSync(dirs.checkout, { recursive: true });

  const soakErrors = { unhandledRejections: [] as string[], uncaughtExceptions: [] as string[] };
  const onUnhandled = (reason: unknown) => {
    soakErrors.unhandledRejections.push(isXinyiError(reason) ? reason.code : String(reason).slice(0, 300));
  };
  const onUncaught = (error: Error) => {
    soakErrors.uncaughtExceptions.push(String(error?.stack ?? error).slice(0, 500));
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);

  // ── The site, and the run's state ──
  const site = await startSimulatedSite({
    dir: join(dir, 'site'),
    seed: `soak:${options.seed}`,
    people: 60,
    gateTiming: { motionMs: 40, passDelayMs: 150 },
  });
  // Read as the daemon reads it (a `hex:` key file): the soak's pseudonyms must be the daemon's.
  const pseudonymizer = createPseudonymizer(readKeyFile(site.description.files.pseudonymKey));
  const run = createSoakRun({
    seed: options.seed,
    rng,
    marginMs,
    forceEarly: options.forceEarly === true,
    progress,
    startedAtMs,
    durationMs: options.minutes * 60_000,
    dirs,
    site,
    personalData: site.people.flatMap(personalDataForms),
    pseudonymizer,
    personByPseudonym: indexPeopleByPseudonym(site, pseudonymizer),
    configFile: writeGateConfig(site, dir, dirs.gateData),
    soakErrors,
  });

  // ── The gate daemon ──
  // However the soak ends (an exception, Ctrl-C), no daemon outlives it.
  const killDaemon = () => run.daemon.current?.child.kill('SIGKILL');
  process.once('exit', killDaemon);
  const firstStartMs = await startDaemon(run);
  run.daemon.lookupJournal = await createSqliteJournal({
    path: join(dirs.gateData, 'journal.sqlite'),
    readonly: true,
  });
  progress(`soak: daemon up in ${firstStartMs} ms; site in ${join(dir, 'site')}`);

  // ── The checkout terminal, what the platform receives, resource samples ──
  const checkout = await startCheckout(run);
  const harvestTimer = setInterval(() => harvestPlatformRequests(run), 250);
  const sampleTimer = setInterval(() => sampleResources(run), SAMPLE_INTERVAL_MS);
  watchCardReads(run);

  // ── Arrivals and faults until the time is up ──
  // The fault lanes start first: with --force-early they draw their forced order from the seed first.
  const platformChaos = platformFaults(run);
  const deviceChaos = deviceFaults(run);
  const loops = [gateArrivals(run), checkoutArrivals(run, checkout.terminal), platformChaos, deviceChaos];

  const progressTimer = setInterval(() => {
    const presentations = run.gate.presentations;
    const decided = presentations.filter((p) => p.status === 'decided').length;
    progress(
      `soak: ${Math.round(sinceStart(run) / 1000)} s, gate ${decided}/${presentations.length} decided, checkout ${run.checkout.ids.length}, ` +
        `faults ${Object.values(run.faults).reduce((n, f) => n + f.injected, 0)}, daemon #${run.daemon.current?.incarnation ?? 0}`,
    );
  }, 30_000);

  const results = await Promise.allSettled(loops);
  run.ending = true;
  clearInterval(progressTimer);
  for (const result of results) {
    if (result.status === 'rejected')
      soakErrors.uncaughtExceptions.push(`loop failed: ${String(result.reason).slice(0, 500)}`);
  }

  // ── Drain: faults off, devices back, every backlog uploaded, then a clean stop ──
  site.platform.faults.clear();
  site.reader.clearFaults();
  site.scanner.clearFaults();
  site.gate.clearFaults();
  const endedArrivalsAt = Date.now();
  if (!(await devicesReady(run, DEVICE_RECOVERY_MS))) run.devices.stuck++;
  let gateBacklog = Number.NaN;
  const drainUntil = Date.now() + DRAIN_MS;
  while (Date.now() < drainUntil) {
    const daemon = run.daemon.current;
    const health = daemon?.running ? await getJson(`${daemon.url}/health`) : undefined;
    const backlog = health?.backlog as Record<string, { count: number }> | undefined;
    gateBacklog = backlog ? Object.values(backlog).reduce((n, b) => n + b.count, 0) : Number.NaN;
    const checkoutPending = Object.values(checkout.journal.backlog()).reduce((n, b) => n + b.count, 0);
    if (gateBacklog === 0 && checkoutPending === 0) break;
    if (checkoutPending > 0) await checkout.uploader.flush();
    await sleep(500);
  }
  progress(`soak: drained in ${Date.now() - endedArrivalsAt} ms (gate backlog ${gateBacklog})`);
  let cleanShutdown = false;
  if (run.daemon.current?.running) {
    const last = run.daemon.current;
    last.kill('SIGTERM');
    await Promise.race([last.exited, sleep(20_000)]);
    cleanShutdown = last.exitCode === 0;
    if (last.exitCode === undefined) last.child.kill('SIGKILL');
  }
  clearInterval(sampleTimer);
  await checkout.uploader.flush();
  checkout.uploader.stop();
  checkout.sync.stop();
  await checkout.terminal.close();
  harvestPlatformRequests(run);
  clearInterval(harvestTimer);
  run.daemon.lookupJournal?.close();
  checkout.journal.close();
  checkout.store.close();

  // ── Checks: losses and duplicates, then every file the soak, the daemon and the checkout wrote ──
  const rows = await readJournalRows(run);
  const delivery = checkDelivery(run, rows);
  checkout.log.end();
  await new Promise<void>((resolve) => checkout.log.on('close', () => resolve()));
  const folder = scanFolderForPersonalData(dir, run.personalData);
  run.privacy.found.push(...folder.found);
  const checkoutLogText = readFileSync(join(dirs.logs, 'checkout.log'), 'utf8');
  if (checkoutLogText.includes('[id-number]')) run.privacy.scrubbedLogLines++;
  const summary = summariseRun(run, { rows, delivery, cleanShutdown, folder });

  await site.close();
  process.off('exit', killDaemon);
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUncaught);
  if (!options.keep && options.dir === undefined) rmSync(dir, { recursive: true, force: true });

  const durationSeconds = Math.round((Date.now() - startedAtMs) / 1000);
  return soakReport(
    run,
    { command: options.command, minutesRequested: options.minutes, startedAt, durationSeconds },
    summary,
  );
}
