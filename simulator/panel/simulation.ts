import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CameraScanner } from '../../adapters/camera/camera-scanner.js';
import { createZxingWasmDecoder } from '../../adapters/camera/zxing-wasm-decoder.js';
import type { Clock } from '../../sdk/clock.js';
import { XinyiError } from '../../sdk/errors.js';
import type { GateController, GateOutcome, GatePassage } from '../../sdk/gate/gate-controller.js';
import { maskIdNumber } from '../../sdk/identity/index.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import { describeBenefit, qingzhouPolicyPack } from '../../sdk/policy/index.js';
import { generateCameraFrame } from '../camera/frame-generator.js';
import type {
  PassageBehaviour,
  VirtualGateSnapshot,
  VirtualGateTiming,
} from '../devices/virtual-gate-core.js';
import type { PlatformFault } from '../mock-platform.js';
import type { SyntheticPerson } from '../population.js';
import {
  type SimulatedSite,
  type SimulatedSiteStore,
  type SiteDevice,
  startSimulatedSite,
} from '../simulated-site.js';
import { encodePng } from './png.js';
import { encodeQr, qrSvg } from './qr-image.js';

/** The faults the panel and scenarios switch on and off. Unplugging and revoking have their own calls. */
export const SIMULATION_FAULTS = [
  'platform-latency',
  'platform-down',
  'platform-5xx',
  'platform-clock-skew',
  'garbage-bytes',
] as const;
export type SimulationFault = (typeof SIMULATION_FAULTS)[number];

export const SIMULATION_DEVICES: readonly SiteDevice[] = ['id-card-reader', 'scanner', 'gate'];
export const PASSAGE_BEHAVIOURS: readonly PassageBehaviour[] = ['pass', 'no-pass', 'tailgate', 'push-back'];

/** How a credit code reaches the lane: the serial QR scanner on its PTY, or camera frames drawn from the QR. */
export type CodeDevice = 'scanner' | 'camera';

/**
 * What the simulation needs of a gate lane. The `xinyi gate` daemon (`startGateDaemon` in the CLI)
 * is one: the CLI and the tests pass it in, so the simulator does not depend on the CLI.
 */
export interface SimulationLane {
  /** The lane's health and diagnostics server (`GET /diagnostics` gives `platformSync`). */
  readonly url: string;
  readonly controller: Pick<GateController, 'on' | 'off' | 'attach'>;
  health(): {
    status: 'ok' | 'degraded';
    devices: Record<string, string>;
    creditSourcesOffline: string[];
    alarms: string[];
    /** The site store this lane shares with the others (the gate daemon's health has it). */
    site?: {
      kind: string;
      up: boolean;
      deferredUses: number;
      reconciledUses: number;
      doubleGrants: number;
    } | null;
  };
  stop(): Promise<unknown>;
}

/** Starts a lane from a gate daemon configuration (`xinyi gate --config` format, not yet validated). */
export type SimulationLaneStarter = (input: {
  config: Record<string, unknown>;
  /** Relative paths in the configuration are relative to this. */
  baseDir: string;
  logger: Logger;
  /** The simulation's clock, shared with the mock platform. */
  clock: Clock;
}) => Promise<SimulationLane>;

export interface SimulationOptions {
  /** Where the site's PTY links, key files and the lane's data go (created when missing). */
  dir: string;
  /** @default 'xinyi-site' */
  seed?: string;
  /** @default 40 */
  people?: number;
  /** Loopback port of the mock platform. @default 0 (any free port) */
  platformPort?: number;
  /**
   * Runs a gate lane in this process against the site (the CLI passes the `xinyi gate` daemon), so
   * decisions show live. Without one the devices stay free for an outside program to open.
   */
  lane?: SimulationLaneStarter;
  /** Where the clock starts: `YYYY-MM-DD` (10:00 in Asia/Shanghai) or an ISO date-time. @default now */
  clock?: string;
  gateTiming?: VirtualGateTiming;
  /** The lane's logger. @default silentLogger */
  logger?: Logger;
  /**
   * Lanes of the site, each with its reader, scanner, gate board and (with `lane`) its own gate daemon;
   * with several, the last one is the exit and every lane has anti-passback. @default 1
   */
  lanes?: number;
  /** Where the lanes share their state. @default one lane: local; several: `DIR/site.sqlite` */
  store?: SimulatedSiteStore;
}

/** One lane as the panel shows it. */
export interface LaneView {
  index: number;
  terminalId: string;
  direction: 'entry' | 'exit';
  health: 'ok' | 'degraded' | null;
  alarms: string[];
  /** The site store as this lane sees it; null for a one-lane site (nothing shared). */
  site: {
    kind: string;
    up: boolean;
    deferredUses: number;
    reconciledUses: number;
    doubleGrants: number;
  } | null;
  gate: GateView;
}

/** One person of the population as the panel may show them: no ID number, no name. */
export interface PersonView {
  index: number;
  masked: string;
  tier: string;
  score: number;
  lists: string[];
  /** 守信: tier A or better and on no blocking list (the red list counts as at least AA). */
  trustworthy: boolean;
  hasCode: boolean;
  revoked: boolean;
}

/** One line of the live decision log. */
export interface DecisionLogEntry {
  seq: number;
  /** The lane (0 for the first) whose gate decided. */
  lane: number;
  /** Decided from local state: the site store did not answer in time. */
  siteStateDegraded?: boolean;
  /** ISO time (the simulation's clock). */
  at: string;
  /** What the gate lane did: opened, shut, repeat, anti-passback, gate-failed, failed. */
  gate: GateOutcome['kind'];
  decisionId?: string;
  scene?: string;
  masked?: string;
  tier?: string | null;
  outcome?: 'granted' | 'denied' | 'unavailable';
  benefits: string[];
  reasons: string[];
  source?: string;
  latencyMs?: number;
  citizen?: string;
  errorCode?: string;
}

export interface GateView {
  /** The lane (0 for the first). */
  lane: number;
  /** `alarm` while any alarm is raised, else the barrier's phase. */
  state: 'closed' | 'opening' | 'open' | 'closing' | 'alarm';
  phase: VirtualGateSnapshot['phase'];
  direction: string | null;
  alarms: string[];
  entryCount: number;
  exitCount: number;
  opens: number;
  passages: number;
  notPassed: number;
}

export interface FaultState {
  'platform-latency': number | null;
  'platform-down': boolean;
  'platform-5xx': boolean;
  'platform-clock-skew': number | null;
  'garbage-bytes': boolean;
}

export interface SimulationStatus {
  lane: boolean;
  restarting: boolean;
  /** The clock override (as given), or null for real time. */
  clockOverride: string | null;
  /** The simulation's time now, ISO. */
  now: string;
  faults: FaultState;
  /** Devices unplugged, with the time (epoch ms) they are plugged back in. */
  unplugged: Partial<Record<SiteDevice, number>>;
  behaviour: PassageBehaviour;
  health: 'ok' | 'degraded' | null;
  devices: Record<string, string>;
  creditSourcesOffline: string[];
  alarms: string[];
  snapshot: { sequence: number; ageMs: number } | null;
  statusListAt: number | null;
  platformUrl: string;
  paths: { idCardReader: string; scanner: string; gate: string };
  /** Every lane of the site (one for a one-lane site). */
  lanes: LaneView[];
}

/** The last credit code shown, as the panel draws it. */
export interface ShownCode {
  seq: number;
  person: number;
  via: CodeDevice;
  svg: string;
  /** The camera frame the lane decoded (PNG), for `via: 'camera'`. */
  cameraPng?: Buffer;
}

export interface SimulationEventMap {
  decision: [entry: DecisionLogEntry];
  gate: [gate: GateView];
  status: [status: SimulationStatus];
  passage: [passage: GatePassage];
  code: [shown: { seq: number; person: number; via: CodeDevice }];
  /** The site and lane were rebuilt (a clock override): the gate's counters start again. */
  restart: [info: { clockOverride: string | null }];
}

const DECISION_LOG_SIZE = 500;
const STATUS_POLL_MS = 250;
/** Long for the panel to notice the list, short against the status-list refresh of the lane (1 s). */
const REVOCATION_WAIT_MS = 8_000;

/** With several lanes the last is the exit; a one-lane site is an entry. */
function laneDirection(index: number, count: number): 'entry' | 'exit' {
  return count > 1 && index === count - 1 ? 'exit' : 'entry';
}

/** Parses a clock override: `YYYY-MM-DD` means 10:00 that day in Asia/Shanghai. */
export function parseClockOverride(value: string): number {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T10:00:00+08:00` : value;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new XinyiError('INVALID_ARGUMENT', 'clock: give YYYY-MM-DD or an ISO date-time with an offset');
  }
  return ms;
}

function trustworthy(person: SyntheticPerson): boolean {
  if (person.lists.some((l) => l.kind === 'black' || l.kind === 'key-attention')) return false;
  if (person.lists.some((l) => l.kind === 'red')) return true;
  return person.tier === 'AAA' || person.tier === 'AA' || person.tier === 'A';
}

function gateView(site: SimulatedSite, lane = 0): GateView {
  const core = site.lanes[lane]!.gate.core;
  const s = core.snapshot();
  const stats = core.stats;
  return {
    lane,
    state: s.alarms.length > 0 ? 'alarm' : s.phase,
    phase: s.phase,
    direction: s.direction ?? null,
    alarms: [...s.alarms],
    entryCount: s.entryCount,
    exitCount: s.exitCount,
    opens: stats.opens,
    passages: stats.passages,
    notPassed: stats.notPassed,
  };
}

function logEntry(seq: number, lane: number, at: string, outcome: GateOutcome): DecisionLogEntry {
  const entry: DecisionLogEntry = { seq, lane, at, gate: outcome.kind, benefits: [], reasons: [] };
  if ('error' in outcome) entry.errorCode = outcome.error.code;
  if (!('decision' in outcome)) return entry;
  const d = outcome.decision;
  return {
    ...entry,
    at: d.at,
    decisionId: d.id,
    scene: d.scene,
    ...(d.subject ? { masked: d.subject.masked } : {}),
    tier: d.effectiveTier,
    outcome: d.outcome,
    benefits: d.benefits.map((b) => describeBenefit(b, qingzhouPolicyPack.labels)),
    reasons: [...new Set(d.reasons.map((r) => r.code))],
    source: d.standingSource,
    ...(d.latencyMs === undefined ? {} : { latencyMs: d.latencyMs }),
    ...(d.siteStateDegraded ? { siteStateDegraded: true } : {}),
    citizen: d.explanation.citizen,
  };
}

interface World {
  site: SimulatedSite;
  lane: SimulationLane | undefined;
  /** Every lane's daemon, the first being `lane`. */
  lanes: SimulationLane[];
  camera: CameraScanner | undefined;
  clock: Clock;
  detach: Array<() => void>;
}

/**
 * A simulated scenic-spot site (virtual ID-card reader, QR scanner and gate board on PTYs, the mock
 * platform) with, by default, a gate lane running the real `xinyi gate` daemon code in this process,
 * and the controls the panel and the scenario player use: people tap cards and show codes, faults go
 * on and off, the clock jumps to another day. Events carry what the panel draws; nothing in them
 * holds an ID number or a name.
 */
export class Simulation extends EventEmitter<SimulationEventMap> {
  readonly #options: SimulationOptions;
  readonly #startLane: SimulationLaneStarter | undefined;
  #world!: World;
  #ready: Promise<void> = Promise.resolve();
  #clockOverride: string | null;
  #restarting = false;
  #closed = false;
  #faults: FaultState = {
    'platform-latency': null,
    'platform-down': false,
    'platform-5xx': false,
    'platform-clock-skew': null,
    'garbage-bytes': false,
  };
  #withdrawGarbage: Array<() => void> = [];
  readonly #unplugged = new Map<SiteDevice, number>();
  readonly #unplugTimers = new Set<NodeJS.Timeout>();
  readonly #revoked = new Set<number>();
  #behaviour: PassageBehaviour = 'pass';
  #platformChangedAt: number | undefined;
  readonly #log: DecisionLogEntry[] = [];
  #seq = 0;
  #codeSeq = 0;
  #shown: ShownCode | undefined;
  /** The last code shown, for `showScreenshot`. */
  #lastCodeText: string | undefined;
  /** Taps and rebuilds, one at a time: a card is on the reader or the site is being rebuilt, never both. */
  #queue: Promise<unknown> = Promise.resolve();
  #statusTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #lastStatusKey = '';
  #health: {
    status: 'ok' | 'degraded';
    devices: Record<string, string>;
    offline: string[];
    alarms: string[];
  } | null = null;
  /** Every lane's last health, by lane. */
  #laneHealth: Array<ReturnType<SimulationLane['health']> | null> = [];
  #sync: { snapshot: { sequence: number; ageMs: number } | null; statusListAt: number | null } = {
    snapshot: null,
    statusListAt: null,
  };

  private constructor(options: SimulationOptions) {
    super();
    this.#options = options;
    this.#startLane = options.lane;
    this.#clockOverride = options.clock ?? null;
  }

  /** Starts the site and (with `lane`) the lane; resolves when both are up (devices may still be opening). */
  static async start(options: SimulationOptions): Promise<Simulation> {
    if (!options || typeof options.dir !== 'string' || options.dir === '') {
      throw new XinyiError('INVALID_OPTIONS', 'Simulation.start: dir is required');
    }
    if (options.clock !== undefined) parseClockOverride(options.clock);
    const simulation = new Simulation(options);
    simulation.#world = await simulation.#startWorld();
    simulation.#statusTimer = setInterval(() => void simulation.#pollStatus(), STATUS_POLL_MS);
    simulation.#statusTimer.unref();
    await simulation.#pollStatus();
    return simulation;
  }

  get site(): SimulatedSite {
    return this.#world.site;
  }

  /** The in-process gate lane; undefined without one. */
  get lane(): SimulationLane | undefined {
    return this.#world.lane;
  }

  get clock(): Clock {
    return this.#world.clock;
  }

  get hasLane(): boolean {
    return this.#startLane !== undefined;
  }

  people(): PersonView[] {
    const site = this.#world.site;
    return site.people.map((p, index) => ({
      index,
      masked: maskIdNumber(p.idNumber),
      tier: p.tier,
      score: p.score,
      lists: p.lists.map((l) => (l.domain ? `${l.kind}:${l.domain}` : l.kind)),
      trustworthy: trustworthy(p),
      hasCode: site.phones.has(p.id),
      revoked: this.#revoked.has(index),
    }));
  }

  /** The decision log, oldest first (the last 500). */
  decisions(): DecisionLogEntry[] {
    return [...this.#log];
  }

  /** The sequence number of the newest log entry (0 before the first). */
  get lastDecisionSeq(): number {
    return this.#seq;
  }

  gate(): GateView {
    return gateView(this.#world.site);
  }

  shownCode(): ShownCode | undefined {
    return this.#shown;
  }

  status(): SimulationStatus {
    const { site, clock } = this.#world;
    const d = site.description;
    return {
      lane: this.#startLane !== undefined,
      restarting: this.#restarting,
      clockOverride: this.#clockOverride,
      now: new Date(clock.now()).toISOString(),
      faults: { ...this.#faults },
      unplugged: Object.fromEntries(this.#unplugged),
      behaviour: this.#behaviour,
      health: this.#health?.status ?? null,
      devices: this.#health?.devices ?? {},
      creditSourcesOffline: this.#health?.offline ?? [],
      alarms: this.#health?.alarms ?? [],
      snapshot: this.#sync.snapshot,
      statusListAt: this.#sync.statusListAt,
      platformUrl: site.platform.url,
      paths: { idCardReader: d.idCardReaderPath, scanner: d.scannerPath, gate: d.gatePath },
      lanes: this.#laneViews(),
    };
  }

  /** Every lane: its gate, and (with daemons) its health and the site store as it sees it. */
  #laneViews(): LaneView[] {
    const { site, lanes } = this.#world;
    return site.lanes.map((lane, index) => {
      const h = this.#laneHealth[index];
      const view: LaneView = {
        index,
        terminalId: lane.terminalId,
        direction: laneDirection(index, site.lanes.length),
        health: h?.status ?? null,
        alarms: h?.alarms ?? [],
        site: h?.site
          ? {
              kind: h.site.kind,
              up: h.site.up,
              deferredUses: h.site.deferredUses,
              reconciledUses: h.site.reconciledUses,
              doubleGrants: h.site.doubleGrants,
            }
          : null,
        gate: gateView(site, index),
      };
      if (lanes[index] === undefined) view.health = null;
      return view;
    });
  }

  /** Each lane's gate, the first lane's first. */
  gates(): GateView[] {
    return this.#world.site.lanes.map((_lane, index) => gateView(this.#world.site, index));
  }

  /**
   * Resolves once the lane is fully up: every device ready, the offline snapshot loaded (so an outage
   * falls back to it) and, after platform faults were switched off, the platform answering the lane
   * again (a circuit breaker that opened lets a probe through after its cool-down, ~5 s). Rejects with
   * `DEVICE_TIMEOUT` after `timeoutMs`.
   */
  async whenReady(timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.#ready;
      await this.#pollStatus();
      const devices = Object.values(this.#health?.devices ?? {});
      const otherLanes = this.#laneHealth.slice(1);
      const up =
        this.#startLane === undefined ||
        (devices.length > 0 &&
          devices.every((s) => s === 'ready') &&
          otherLanes.length === this.#world.site.lanes.length - 1 &&
          otherLanes.every(
            (h) => h !== null && Object.values(h.devices).every((state) => state === 'ready'),
          ) &&
          this.#sync.snapshot !== null &&
          this.#platformAnswered());
      if (up && !this.#restarting) return;
      if (Date.now() > until)
        throw new XinyiError('DEVICE_TIMEOUT', 'the simulation did not become ready in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #person(index: number): SyntheticPerson {
    const person = Number.isInteger(index) ? this.#world.site.people[index] : undefined;
    if (!person) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `no person ${index}; the population has ${this.#world.site.people.length}`,
      );
    }
    return person;
  }

  /**
   * The person taps their ID card on the reader of `lane` (one card at a time: taps queue). Resolves
   * when the card is off the reader.
   */
  tap(index: number, lane = 0): Promise<void> {
    this.#person(index);
    this.#lane(lane);
    return this.#enqueue(() => this.#lane(lane).tap(this.#person(index)));
  }

  #lane(index: number) {
    const lane = Number.isInteger(index) ? this.#world.site.lanes[index] : undefined;
    if (!lane) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `no lane ${index}; the site has ${this.#world.site.lanes.length}`,
      );
    }
    return lane;
  }

  /**
   * Shows the last credit code again at `lane`: the same presentation, as a screenshot would. Resolves
   * when it was sent; the lane refuses it as a replay when another lane already took it.
   */
  async showScreenshot(lane: number): Promise<void> {
    await this.#ready;
    const text = this.#lastCodeText;
    if (text === undefined) throw new XinyiError('INVALID_ARGUMENT', 'no credit code was shown yet');
    await this.#lane(lane).scan(text);
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * The person shows their credit code: a fresh presentation is drawn as a QR image, and either sent by
   * the serial scanner or drawn into a camera frame the lane's camera decodes. Resolves when it was sent.
   */
  async showCode(index: number, via: CodeDevice = 'scanner', lane = 0): Promise<void> {
    const person = this.#person(index);
    this.#lane(lane);
    await this.#ready;
    const { site, clock, camera } = this.#world;
    const phone = site.phones.get(person.id);
    if (!phone)
      throw new XinyiError('INVALID_ARGUMENT', `person ${index} has no credit code (listed people get none)`);
    if (via === 'camera' && !camera) {
      throw new XinyiError('INVALID_ARGUMENT', 'the camera is part of the in-process lane; it is off');
    }
    const text = phone.present(clock.now());
    this.#lastCodeText = text;
    const seq = ++this.#codeSeq;
    const svg = qrSvg(await encodeQr(text), { title: `credit code of person ${index}` });
    const shown: ShownCode = { seq, person: index, via, svg };
    if (via === 'camera' && camera) {
      const { frame } = await generateCameraFrame({
        seed: `panel:${seq}`,
        width: 1280,
        height: 720,
        payload: text,
        sizeFraction: 0.45,
      });
      shown.cameraPng = encodePng(frame);
      this.#shown = shown;
      this.emit('code', { seq, person: index, via });
      camera.push(frame);
      await camera.idle();
      return;
    }
    this.#shown = shown;
    this.emit('code', { seq, person: index, via });
    await this.#lane(lane).scan(text);
  }

  /** Switches a fault on (with its value: latency or skew in ms) or off. */
  setFault(fault: SimulationFault, on: boolean, valueMs?: number): void {
    if (!SIMULATION_FAULTS.includes(fault)) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `unknown fault ${String(fault)}; faults: ${SIMULATION_FAULTS.join(', ')}`,
      );
    }
    if (valueMs !== undefined && !(Number.isInteger(valueMs) && Math.abs(valueMs) <= 3_600_000)) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `${fault}: the value must be a whole number of ms within an hour`,
      );
    }
    switch (fault) {
      case 'platform-latency':
        this.#faults[fault] = on ? Math.max(0, valueMs ?? 1_000) : null;
        break;
      case 'platform-clock-skew':
        this.#faults[fault] = on ? (valueMs ?? 600_000) : null;
        break;
      default:
        this.#faults[fault] = on;
    }
    if (fault.startsWith('platform-')) this.#platformChangedAt = this.#world.clock.now();
    this.#applyFaults(this.#world);
    this.#emitStatus();
  }

  /** Pulls a device's cable; it is plugged back in after `forMs`. */
  async unplug(device: SiteDevice, forMs = 3_000): Promise<void> {
    if (!SIMULATION_DEVICES.includes(device)) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `unknown device ${String(device)}; devices: ${SIMULATION_DEVICES.join(', ')}`,
      );
    }
    if (!(Number.isInteger(forMs) && forMs > 0 && forMs <= 600_000)) {
      throw new XinyiError('INVALID_ARGUMENT', 'unplug: forMs must be a whole number of ms up to 10 minutes');
    }
    await this.#ready;
    if (this.#unplugged.has(device)) return;
    this.#unplugged.set(device, Date.now() + forMs);
    this.#emitStatus();
    await this.#world.site.unplug(device, forMs);
    const timer = setTimeout(() => {
      this.#unplugTimers.delete(timer);
      this.#unplugged.delete(device);
      this.#emitStatus();
    }, forMs);
    this.#unplugTimers.add(timer);
  }

  /**
   * Revokes (or reinstates) the person's credit code on the platform's status list, and waits until the
   * lane holds a status list issued after the change (so the next showing is judged by it).
   */
  async revoke(index: number, on = true): Promise<void> {
    this.#person(index);
    await this.#ready;
    if (on) this.#revoked.add(index);
    else this.#revoked.delete(index);
    const { site, clock } = this.#world;
    const changedAt = clock.now();
    if (on) site.platform.issuer.revoke(index);
    else site.platform.issuer.unrevoke(index);
    this.#emitStatus();
    if (this.#startLane === undefined) return;
    const until = Date.now() + REVOCATION_WAIT_MS;
    while (Date.now() < until && !this.#closed) {
      await this.#pollStatus();
      if ((this.#sync.statusListAt ?? 0) >= changedAt) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** What the next people at the gate do after it opens. */
  setBehaviour(behaviour: PassageBehaviour): void {
    if (!PASSAGE_BEHAVIOURS.includes(behaviour)) {
      throw new XinyiError('INVALID_ARGUMENT', `behaviours: ${PASSAGE_BEHAVIOURS.join(', ')}`);
    }
    this.#behaviour = behaviour;
    for (const lane of this.#world.site.lanes) lane.gate.core.setDefaultBehaviour(behaviour);
    this.#emitStatus();
  }

  /**
   * Moves the clock to another day (a holiday, say), or back to real time with null. Every part of the
   * site and lane is rebuilt on the new clock (trust list, codes, platform, journal agree on the time);
   * the PTYs come back on the same paths, the faults and revocations stay, the gate's counters restart.
   */
  async setClock(override: string | null): Promise<void> {
    if (override !== null) parseClockOverride(override);
    if (this.#closed) throw new XinyiError('CLOSED', 'the simulation is closed');
    await this.#enqueue(async () => {
      this.#clockOverride = override;
      let done!: () => void;
      this.#ready = new Promise((resolve) => {
        done = resolve;
      });
      try {
        await this.#restart();
      } finally {
        done();
      }
    });
  }

  /**
   * Resolves with the first log entry after `afterSeq` that `accept` takes (default: any), or undefined
   * when none comes within `timeoutMs`.
   */
  waitForDecision(
    afterSeq: number,
    timeoutMs = 5_000,
    accept: (entry: DecisionLogEntry) => boolean = () => true,
  ): Promise<DecisionLogEntry | undefined> {
    const found = this.#log.find((e) => e.seq > afterSeq && accept(e));
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const onDecision = (entry: DecisionLogEntry) => {
        if (entry.seq <= afterSeq || !accept(entry)) return;
        clearTimeout(timer);
        this.off('decision', onDecision);
        resolve(entry);
      };
      const timer = setTimeout(() => {
        this.off('decision', onDecision);
        resolve(undefined);
      }, timeoutMs);
      this.on('decision', onDecision);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#statusTimer);
    for (const timer of this.#unplugTimers) clearTimeout(timer);
    await this.#enqueue(() => this.#stopWorld(this.#world));
  }

  /** Whether the platform answered the lane since the platform faults last changed (true while one is on). */
  #platformAnswered(): boolean {
    const since = this.#platformChangedAt;
    const f = this.#faults;
    const faulty =
      f['platform-down'] ||
      f['platform-5xx'] ||
      f['platform-latency'] !== null ||
      f['platform-clock-skew'] !== null;
    if (since === undefined || faulty) return true;
    const { requests } = this.#world.site.platform;
    for (let i = requests.length - 1; i >= 0 && requests[i]!.atMs >= since; i--) {
      if (requests[i]!.status === 200) return true;
    }
    return false;
  }

  async #restart(): Promise<void> {
    this.#restarting = true;
    this.#emitStatus();
    try {
      for (const timer of this.#unplugTimers) clearTimeout(timer);
      this.#unplugTimers.clear();
      this.#unplugged.clear();
      await this.#stopWorld(this.#world);
      this.#health = null;
      this.#laneHealth = [];
      this.#sync = { snapshot: null, statusListAt: null };
      this.#platformChangedAt = undefined;
      this.#world = await this.#startWorld();
    } finally {
      this.#restarting = false;
    }
    this.emit('restart', { clockOverride: this.#clockOverride });
    for (const gate of this.gates()) this.emit('gate', gate);
    await this.#pollStatus();
  }

  async #startWorld(): Promise<World> {
    const options = this.#options;
    const offset = this.#clockOverride === null ? 0 : parseClockOverride(this.#clockOverride) - Date.now();
    const clock: Clock = { now: () => Date.now() + offset };
    const site = await startSimulatedSite({
      dir: options.dir,
      ...(options.seed ? { seed: options.seed } : {}),
      people: options.people ?? 40,
      platformPort: options.platformPort ?? 0,
      ...(options.gateTiming ? { gateTiming: options.gateTiming } : {}),
      ...(options.lanes ? { lanes: options.lanes } : {}),
      ...(options.store ? { store: options.store } : {}),
      clock,
    });
    const world: World = { site, lane: undefined, lanes: [], camera: undefined, clock, detach: [] };
    try {
      for (const index of this.#revoked) site.platform.issuer.revoke(index);
      this.#applyFaults(world);
      site.lanes.forEach((lane, index) => {
        lane.gate.core.setDefaultBehaviour(this.#behaviour);
        const onChange = () => this.emit('gate', gateView(site, index));
        lane.gate.core.on('change', onChange);
        world.detach.push(() => lane.gate.core.off('change', onChange));
      });
      if (this.#startLane) await this.#runLanes(world, this.#startLane);
    } catch (error) {
      await this.#stopWorld(world);
      throw error;
    }
    return world;
  }

  async #runLanes(world: World, startLane: SimulationLaneStarter): Promise<void> {
    const { site } = world;
    const count = site.lanes.length;
    // The site store outlives a clock change: a fresh one per clock, like the journals.
    const store = site.store;
    if (store !== 'local' && 'sqlite' in store) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${store.sqlite}${suffix}`, { force: true });
    }
    for (let index = 0; index < count; index++) {
      const lane = await this.#runLane(world, startLane, index, count);
      world.lanes.push(lane);
      if (index === 0) world.lane = lane;
    }
  }

  async #runLane(
    world: World,
    startLane: SimulationLaneStarter,
    index: number,
    count: number,
  ): Promise<SimulationLane> {
    const { site, clock } = world;
    const dataDir = join(this.#options.dir, index === 0 ? 'panel-lane' : `panel-lane-${index + 1}`);
    // A fresh journal and cache per clock: lists and snapshots from another day would be "from the future".
    rmSync(dataDir, { recursive: true, force: true });
    const base = site.gateConfig({}, index);
    const config = {
      ...base,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      // Short, so a revocation reaches the lane within a second.
      platform: { ...(base.platform as object), statusListIntervalMs: 1_000 },
      ...(count > 1 ? { lane: { direction: laneDirection(index, count), antiPassback: true } } : {}),
    };
    const lane = await startLane({
      config,
      baseDir: this.#options.dir,
      logger: this.#options.logger ?? silentLogger,
      clock,
    });
    const onOutcome = (outcome: GateOutcome) => {
      const entry = logEntry(++this.#seq, index, new Date(clock.now()).toISOString(), outcome);
      this.#log.push(entry);
      if (this.#log.length > DECISION_LOG_SIZE) this.#log.shift();
      this.emit('decision', entry);
    };
    const onPassage = (passage: GatePassage) => this.emit('passage', passage);
    lane.controller.on('outcome', onOutcome);
    lane.controller.on('passage', onPassage);
    world.detach.push(() => {
      lane.controller.off('outcome', onOutcome);
      lane.controller.off('passage', onPassage);
    });
    if (index === 0) {
      // The camera belongs to the first lane.
      const camera = new CameraScanner({ decoder: await createZxingWasmDecoder(), clock, name: 'camera' });
      world.camera = camera;
      world.detach.push(lane.controller.attach(camera));
    }
    return lane;
  }

  async #stopWorld(world: World): Promise<void> {
    for (const detach of world.detach.splice(0)) detach();
    for (const withdraw of this.#withdrawGarbage.splice(0)) withdraw();
    world.camera?.close();
    await Promise.all(world.lanes.map((lane) => lane.stop()));
    await world.site.close();
  }

  #applyFaults(world: World): void {
    const { platform } = world.site;
    const f = this.#faults;
    platform.faults.clear();
    const inject = (fault: PlatformFault) => platform.faults.inject(fault);
    // At most one ending fault applies to a request: the first injected, so "down" wins over 5xx.
    if (f['platform-down']) inject({ kind: 'drop' });
    if (f['platform-5xx']) inject({ kind: 'status', status: 500 });
    if (f['platform-latency'] !== null) inject({ kind: 'latency', ms: f['platform-latency'] });
    if (f['platform-clock-skew'] !== null) inject({ kind: 'clock-skew', ms: f['platform-clock-skew'] });
    for (const withdraw of this.#withdrawGarbage.splice(0)) withdraw();
    if (f['garbage-bytes']) {
      for (const { reader, scanner } of world.site.lanes) {
        this.#withdrawGarbage.push(
          reader.injectFault({ kind: 'garbage', on: 'any', persistent: true }),
          scanner.injectFault({ kind: 'garbage', persistent: true }),
        );
      }
    }
  }

  #emitStatus(): void {
    const status = this.status();
    // The clock and the status list's time move every second; neither alone is worth an event.
    const { now: _now, snapshot, statusListAt: _statusListAt, ...rest } = status;
    const key = JSON.stringify({ ...rest, snapshot: snapshot?.sequence ?? null });
    if (key === this.#lastStatusKey) return;
    this.#lastStatusKey = key;
    this.emit('status', status);
  }

  async #pollStatus(): Promise<void> {
    const lane = this.#world?.lane;
    if (this.#polling || this.#restarting || this.#closed) return;
    if (!lane) {
      this.#emitStatus();
      return;
    }
    this.#polling = true;
    try {
      this.#laneHealth = this.#world.lanes.map((l) => {
        try {
          return l.health();
        } catch {
          return null;
        }
      });
      const h = lane.health();
      this.#health = {
        status: h.status,
        devices: h.devices,
        offline: h.creditSourcesOffline,
        alarms: h.alarms,
      };
      const response = await fetch(`${lane.url}/diagnostics`, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as {
        // Instants in /diagnostics are ISO 8601 text (cli/gate/iso-timestamps.ts).
        platformSync?: { snapshot: { sequence: number; ageMs: number } | null; statusListAt: string | null };
      };
      if (body.platformSync) {
        const s = body.platformSync.snapshot;
        const statusListAt = body.platformSync.statusListAt;
        this.#sync = {
          snapshot: s ? { sequence: s.sequence, ageMs: s.ageMs } : null,
          statusListAt: statusListAt === null ? null : Date.parse(statusListAt),
        };
      }
    } catch {
      // The lane is stopping or busy; the next poll will tell.
    } finally {
      this.#polling = false;
    }
    this.#emitStatus();
  }
}
