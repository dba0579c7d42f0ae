import { EventEmitter } from 'node:events';
import { XinyiError } from '../../sdk/errors.js';
import { GATE_ALARMS, type GateAlarm, type GateDirection } from '../../sdk/gate/gate.js';

/** What the next person at an opened gate does. */
export type PassageBehaviour =
  /** walks through after `passDelayMs` */
  | 'pass'
  /** never comes: the board closes after `openTimeoutMs` */
  | 'no-pass'
  /** walks through with a second person close behind: two counted, a tailgating alarm */
  | 'tailgate'
  /** steps in, then back out: nobody counted, a reverse alarm */
  | 'push-back';

export type VirtualGatePhase = 'closed' | 'opening' | 'open' | 'closing';

export interface VirtualGateSnapshot {
  phase: VirtualGatePhase;
  direction: GateDirection | undefined;
  /** Open until told to close (always-open, manual or fire). */
  held: boolean;
  /** Persons still allowed through the current opening. */
  allowance: number;
  entryCount: number;
  exitCount: number;
  alarms: GateAlarm[];
  /** Powering up (boards report a self-test state then). */
  selfTest: boolean;
}

export interface VirtualGateTiming {
  /** Barrier motion, each way. @default 150 */
  motionMs?: number;
  /** From open to the person being through. @default 400 */
  passDelayMs?: number;
  /** The board's own timeout: open with nobody passing, it closes. @default 3000 */
  openTimeoutMs?: number;
  /** How long a tailgating or reverse alarm stays raised. @default 1000 */
  alarmMs?: number;
  /** Counter width: counters wrap at this modulus. @default 2^24 */
  counterModulus?: number;
}

export interface VirtualGateCoreEventMap {
  /** Any change of phase, counters or alarms (the control panel redraws on it). */
  change: [snapshot: VirtualGateSnapshot];
  /** A person went through (or `count` persons: a tailgate). */
  passage: [event: { direction: GateDirection; count: number; behaviour: PassageBehaviour }];
  /** An opening ended with nobody through (no-pass or push-back). */
  'not-passed': [event: { direction: GateDirection; behaviour: PassageBehaviour }];
  alarm: [event: { alarm: GateAlarm; active: boolean }];
  /** An open command arrived (the tests count openings by it). */
  'open-command': [event: { direction: GateDirection; count: number; hold: boolean }];
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new XinyiError('INVALID_OPTIONS', `virtual gate: ${name} must be a non-negative number of ms`);
  }
  return value;
}

/**
 * The mechanics every virtual gate board shares, whatever its wire protocol: a barrier that opens,
 * lets people through according to a passage model, closes, counts and raises alarms. Protocol
 * boards (`VirtualAaGateBoard`, `VirtualFlapGateBoard`, `VirtualModbusRelayBoard`) translate
 * their frames to `open`/`close`/`status` calls on it.
 */
export class VirtualGateCore extends EventEmitter<VirtualGateCoreEventMap> {
  readonly #motionMs: number;
  readonly #passDelayMs: number;
  readonly #openTimeoutMs: number;
  readonly #alarmMs: number;
  readonly #modulus: number;
  #phase: VirtualGatePhase = 'closed';
  #direction: GateDirection | undefined;
  #held = false;
  #allowance = 0;
  #entry = 0;
  #exit = 0;
  #selfTest = false;
  readonly #alarms = new Set<GateAlarm>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #cycle = 0;
  #behaviours: PassageBehaviour[] = [];
  #defaultBehaviour: PassageBehaviour = 'pass';
  readonly #counts = { opens: 0, passages: 0, notPassed: 0 };

  constructor(timing: VirtualGateTiming = {}) {
    super();
    this.#motionMs = positive('motionMs', timing.motionMs, 150);
    this.#passDelayMs = positive('passDelayMs', timing.passDelayMs, 400);
    this.#openTimeoutMs = positive('openTimeoutMs', timing.openTimeoutMs, 3000);
    this.#alarmMs = positive('alarmMs', timing.alarmMs, 1000);
    this.#modulus = timing.counterModulus ?? 2 ** 24;
  }

  snapshot(): VirtualGateSnapshot {
    return {
      phase: this.#phase,
      direction: this.#direction,
      held: this.#held,
      allowance: this.#allowance,
      entryCount: this.#entry,
      exitCount: this.#exit,
      alarms: GATE_ALARMS.filter((a) => this.#alarms.has(a)),
      selfTest: this.#selfTest,
    };
  }

  /** Openings commanded, persons through, openings that ended with nobody through. */
  get stats(): { opens: number; passages: number; notPassed: number } {
    return { ...this.#counts };
  }

  /** The behaviour of the next person(s), in order; after the queue empties, the default applies. */
  queueBehaviour(...behaviours: PassageBehaviour[]): void {
    this.#behaviours.push(...behaviours);
  }

  /** The behaviour when nothing is queued. @default 'pass' */
  setDefaultBehaviour(behaviour: PassageBehaviour): void {
    this.#defaultBehaviour = behaviour;
  }

  /** Opens for `count` persons (or holds open). Ignored while a fire alarm holds the gate open. */
  open(direction: GateDirection, count = 1, hold = false): void {
    this.#counts.opens++;
    this.emit('open-command', { direction, count, hold });
    if (this.#alarms.has('fire') || this.#alarms.has('power-loss')) return;
    const moving = this.#phase === 'opening' || this.#phase === 'open';
    if (moving && !hold && !this.#held && this.#direction === direction && this.#allowance > 0) {
      // Already letting people through this way: the next person joins the queue.
      this.#allowance += Math.max(1, count);
      this.#changed();
      return;
    }
    const cycle = ++this.#cycle;
    this.#direction = direction;
    this.#held = hold;
    this.#allowance = hold ? 0 : Math.max(1, count);
    if (this.#phase === 'open') {
      this.#startPassage(cycle);
    } else {
      this.#setPhase('opening');
      this.#later(this.#motionMs, () => {
        if (cycle !== this.#cycle) return;
        this.#setPhase('open');
        if (!hold) this.#startPassage(cycle);
      });
    }
  }

  /** Closes (or ends a hold). `direction` given: only if open that way. */
  close(direction?: GateDirection): void {
    if (direction !== undefined && this.#direction !== undefined && this.#direction !== direction) return;
    if (this.#phase === 'closed' || this.#phase === 'closing') return;
    if (this.#alarms.has('fire')) return;
    const cycle = ++this.#cycle;
    this.#held = false;
    this.#allowance = 0;
    this.#closeCycle(cycle);
  }

  /** Someone walks through now, whatever the barrier does (a held gate, or an intrusion when closed). */
  walkThrough(direction: GateDirection, count = 1): void {
    this.#count(direction, count);
    this.emit('passage', { direction, count, behaviour: count > 1 ? 'tailgate' : 'pass' });
    if (this.#phase === 'closed') this.raiseAlarm('intrusion', this.#alarmMs);
  }

  resetCounters(direction?: GateDirection): void {
    if (direction !== 'exit') this.#entry = 0;
    if (direction !== 'entry') this.#exit = 0;
    this.#changed();
  }

  /** Raises an alarm, for `forMs` or until `clearAlarm`. Fire opens the barrier; power loss stops it. */
  raiseAlarm(alarm: GateAlarm, forMs?: number): void {
    if (!GATE_ALARMS.includes(alarm)) throw new XinyiError('INVALID_ARGUMENT', `unknown gate alarm ${alarm}`);
    const fresh = !this.#alarms.has(alarm);
    this.#alarms.add(alarm);
    if (alarm === 'fire') {
      this.#cycle++;
      this.#held = true;
      this.#setPhase('open');
    }
    if (fresh) this.emit('alarm', { alarm, active: true });
    this.#changed();
    if (forMs !== undefined) this.#later(forMs, () => this.clearAlarm(alarm));
  }

  clearAlarm(alarm: GateAlarm): void {
    if (!this.#alarms.delete(alarm)) return;
    this.emit('alarm', { alarm, active: false });
    if (alarm === 'fire' && this.#phase === 'open') {
      this.#held = false;
      this.#closeCycle(++this.#cycle);
    }
    this.#changed();
  }

  /**
   * Powering up: a self-test state for `forMs`, the barrier closed, counters kept. Alarms the board was
   * timing (tailgating, reverse, intrusion, loitering, anti-pinch) are forgotten; fire, power loss and
   * the external input are conditions outside the board and stay.
   */
  powerUp(forMs = 200): void {
    this.#cancelTimers();
    this.#cycle++;
    for (const alarm of ['tailgating', 'reverse', 'intrusion', 'loitering', 'anti-pinch'] as const) {
      if (this.#alarms.delete(alarm)) this.emit('alarm', { alarm, active: false });
    }
    this.#selfTest = true;
    this.#phase = 'closed';
    this.#held = false;
    this.#allowance = 0;
    this.#direction = undefined;
    this.#changed();
    this.#later(forMs, () => {
      this.#selfTest = false;
      this.#changed();
    });
  }

  /** Stops every timer (the board is being thrown away). */
  dispose(): void {
    this.#cancelTimers();
    this.#cycle++;
  }

  #startPassage(cycle: number): void {
    const direction = this.#direction ?? 'entry';
    const behaviour = this.#behaviours.shift() ?? this.#defaultBehaviour;
    if (behaviour === 'no-pass') {
      this.#later(this.#openTimeoutMs, () => {
        if (cycle !== this.#cycle) return;
        this.#counts.notPassed++;
        this.emit('not-passed', { direction, behaviour });
        this.#allowance = 0;
        this.#closeCycle(cycle);
      });
      return;
    }
    this.#later(this.#passDelayMs, () => {
      if (cycle !== this.#cycle) return;
      if (behaviour === 'push-back') {
        this.#counts.notPassed++;
        this.raiseAlarm('reverse', this.#alarmMs);
        this.emit('not-passed', { direction, behaviour });
        this.#allowance = 0;
        this.#closeCycle(cycle);
        return;
      }
      const count = behaviour === 'tailgate' ? 2 : 1;
      this.#count(direction, count);
      this.emit('passage', { direction, count, behaviour });
      if (behaviour === 'tailgate') this.raiseAlarm('tailgating', this.#alarmMs);
      this.#allowance = Math.max(0, this.#allowance - count);
      if (this.#allowance > 0) this.#startPassage(cycle);
      else this.#closeCycle(cycle);
    });
  }

  #closeCycle(cycle: number): void {
    this.#setPhase('closing');
    this.#later(this.#motionMs, () => {
      if (cycle !== this.#cycle) return;
      this.#direction = undefined;
      this.#setPhase('closed');
    });
  }

  #count(direction: GateDirection, count: number): void {
    this.#counts.passages += count;
    if (direction === 'entry') this.#entry = (this.#entry + count) % this.#modulus;
    else this.#exit = (this.#exit + count) % this.#modulus;
    this.#changed();
  }

  #setPhase(phase: VirtualGatePhase): void {
    this.#phase = phase;
    this.#changed();
  }

  #changed(): void {
    this.emit('change', this.snapshot());
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  #cancelTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
