import { type AbortOptions, abortedError, signalOf } from '../../sdk/abort.js';
import { XinyiError } from '../../sdk/errors.js';
import type {
  Gate,
  GateAlarmEvent,
  GateDeviceState,
  GateDirection,
  GateOpenOptions,
  GateStatus,
  PassageEvent,
} from '../../sdk/gate/gate.js';
import { VirtualGateCore, type VirtualGateTiming } from './virtual-gate-core.js';

/**
 * A simulated gate with no wire in between: the `Gate` interface straight onto a `VirtualGateCore`.
 * For developing and testing what sits above a gate (a `GateController`, a checkout's exit barrier)
 * without choosing a board protocol; the protocol boards cover the bytes.
 */
export class InProcessGate implements Gate {
  readonly name: string;
  readonly core: VirtualGateCore;
  #state: GateDeviceState = 'closed';
  readonly #stateListeners = new Set<(state: GateDeviceState, reason?: string) => void>();

  constructor(options: VirtualGateTiming & { name?: string; core?: VirtualGateCore } = {}) {
    this.name = options.name ?? 'in-process-gate';
    this.core = options.core ?? new VirtualGateCore(options);
  }

  get deviceState(): GateDeviceState {
    return this.#state;
  }

  /** Connects at once; an `options.signal` already aborted rejects with `ABORTED`, as a driver's would. */
  async connect(options?: AbortOptions): Promise<void> {
    const signal = signalOf(options, `${this.name}.connect()`);
    if (signal?.aborted) throw abortedError(signal, `${this.name}.connect()`);
    this.#setState('ready');
  }

  async disconnect(options?: AbortOptions): Promise<void> {
    signalOf(options, `${this.name}.disconnect()`);
    this.#setState('closed');
  }

  /** Simulates the link dropping (`reconnecting`) and coming back (`ready`). */
  setLinkUp(up: boolean): void {
    this.#setState(up ? 'ready' : 'reconnecting', up ? undefined : 'DEVICE_DISCONNECTED');
  }

  async open(direction: GateDirection, options: GateOpenOptions = {}): Promise<void> {
    this.#assertReady();
    this.core.open(direction, options.count ?? 1, options.hold ?? false);
  }

  async close(direction?: GateDirection): Promise<void> {
    this.#assertReady();
    this.core.close(direction);
  }

  async status(): Promise<GateStatus> {
    this.#assertReady();
    const s = this.core.snapshot();
    const alarm = s.alarms.some((a) => a !== 'tailgating' && a !== 'reverse');
    return {
      state: s.selfTest ? 'self-test' : alarm ? 'alarm' : s.phase,
      ...(s.direction ? { direction: s.direction } : {}),
      held: s.held,
      entryCount: s.entryCount,
      exitCount: s.exitCount,
      alarms: s.alarms,
    };
  }

  onPassage(listener: (event: PassageEvent) => void): () => void {
    const onPassage = (e: { direction: GateDirection; count: number }) =>
      listener({ kind: 'passed', direction: e.direction, count: e.count, at: new Date().toISOString() });
    const onNotPassed = (e: { direction: GateDirection; behaviour: string }) =>
      listener({
        kind: e.behaviour === 'push-back' ? 'pushed-back' : 'not-passed',
        direction: e.direction,
        at: new Date().toISOString(),
      });
    this.core.on('passage', onPassage);
    this.core.on('not-passed', onNotPassed);
    return () => {
      this.core.off('passage', onPassage);
      this.core.off('not-passed', onNotPassed);
    };
  }

  onAlarm(listener: (event: GateAlarmEvent) => void): () => void {
    const onAlarm = (e: { alarm: GateAlarmEvent['alarm']; active: boolean }) =>
      listener({ ...e, at: new Date().toISOString() });
    this.core.on('alarm', onAlarm);
    return () => this.core.off('alarm', onAlarm);
  }

  onState(listener: (state: GateDeviceState, reason?: string) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  #assertReady(): void {
    if (this.#state !== 'ready') throw new XinyiError('CLOSED', `${this.name} is ${this.#state}`);
  }

  #setState(state: GateDeviceState, reason?: string): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of [...this.#stateListeners]) listener(state, reason);
  }
}
