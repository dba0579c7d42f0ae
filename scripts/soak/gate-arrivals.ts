// People at the gate: one at a time, each taps an ID card or shows a credit code on a phone, and waits
// for the daemon's decision (or the end of its bound) before the next one comes.
import { classifyPresentation } from './gate-attribution.js';
import { sleep } from './helpers.js';
import {
  CARD_READ_MS,
  CODE_READ_MS,
  DECISION_DEADLINE_MS,
  GATE_COOLDOWN_MS,
  GATE_HOLD_MS,
} from './limits.js';
import { type GatePresentation, isOver, type SoakRun } from './run-state.js';

/** Notes when the virtual reader serves a read of the card lying on it (`readAt`). */
export function watchCardReads(run: SoakRun): void {
  run.site.reader.on('response', (e) => {
    const placed = run.gate.placed;
    if ((e.name === 'readBase' || e.name === 'readBaseWithFingerprint') && e.sw3 === 0x90 && placed) {
      placed.readAt ??= Date.now();
    }
  });
}

/** Arrivals at the gate until the soak is over. */
export async function gateArrivals(run: SoakRun): Promise<void> {
  const { site, people, rng, gate, daemon } = run;
  const lastAtGate = new Map<number, number>();
  let seq = 0;
  while (!isOver(run)) {
    const now = Date.now();
    const free = people.map((_, i) => i).filter((i) => now - (lastAtGate.get(i) ?? 0) > GATE_COOLDOWN_MS);
    const index = rng.pick(free);
    const person = people[index]!;
    lastAtGate.set(index, now);
    const laneUp =
      daemon.restartingSince === undefined &&
      ['qr-scanner', 'id-card-reader'].every(
        (d) => !daemon.openDeviceDown.has(d) && !daemon.activeUnplugs.has(d),
      );
    const mode = site.phones.has(person.id) && laneUp && rng.chance(0.4) ? 'code' : 'card';
    const p: GatePresentation = {
      seq: ++seq,
      person: index,
      mode,
      t0: Date.now(),
      boundMs: (mode === 'card' ? CARD_READ_MS : CODE_READ_MS) + DECISION_DEADLINE_MS + run.marginMs,
      status: 'pending',
    };
    gate.presentations.push(p);
    const decided = new Promise<void>((resolve) => {
      p.wake = resolve;
    });
    let walking: Promise<unknown> = Promise.resolve();
    if (mode === 'card') {
      gate.placed = p;
      walking = site.tap(person, GATE_HOLD_MS).finally(() => {
        if (gate.placed === p) gate.placed = undefined;
      });
    } else {
      p.scanWritten = await site.showCode(person);
    }
    await Promise.race([decided, sleep(p.t0 + p.boundMs - Date.now())]);
    await walking;
    if (p.status === 'pending' && Date.now() < p.t0 + p.boundMs) {
      await Promise.race([decided, sleep(p.t0 + p.boundMs - Date.now())]);
    }
    classifyPresentation(run, p);
    p.wake = undefined;
    lastAtGate.set(index, Date.now());
    await sleep(rng.int(500, 2_000));
  }
}
