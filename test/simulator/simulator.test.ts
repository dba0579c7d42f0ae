// createSimulator(): the simulator's front door, used as a tester would — through the public entries.
import { afterEach, describe, expect, it } from 'vitest';
import { IdCardReader, SerialScanner } from '../../adapters/index.js';
import { createTerminal, type Decision, isXinyiError } from '../../sdk/index.js';
import { createSimulator, type Simulator } from '../../simulator/index.js';

const simulators: Simulator[] = [];
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const sim of simulators.splice(0)) await sim.close();
});

async function simulator(options: Parameters<typeof createSimulator>[0] = {}): Promise<Simulator> {
  const sim = await createSimulator(options);
  simulators.push(sim);
  return sim;
}

describe('createSimulator()', () => {
  it('gives the same people for the same seed, and others for another', async () => {
    const [a, b, c] = await Promise.all([
      simulator({ seed: 'same', people: 5 }),
      simulator({ seed: 'same', people: 5 }),
      simulator({ seed: 'other', people: 5 }),
    ]);
    expect(a.people).toHaveLength(5);
    expect(b.people.map((p) => p.idNumber)).toEqual(a.people.map((p) => p.idNumber));
    expect(c.people.map((p) => p.idNumber)).not.toEqual(a.people.map((p) => p.idNumber));
    expect(a.platform).toBeUndefined();
  });

  it('a card placed on the virtual reader reaches a real IdCardReader and a terminal decides from sim.credit', async () => {
    const sim = await simulator({ seed: 'front-door', people: 40, population: { mix: { AA: 1 } } });
    const person = sim.people.find((p) => p.lists.length === 0 && p.tier === 'AA')!;
    const terminal = createTerminal({
      terminalId: 'sim-kiosk-1',
      scene: 'library-kiosk',
      pseudonymizer: sim.pseudonymizer,
      credit: [sim.credit],
    });
    closers.push(() => terminal.close());
    const { device, transport } = await sim.attach('id-card-reader');
    const reader = new IdCardReader({ transport, pollIntervalMs: 10 });
    closers.push(() => reader.close());
    terminal.attach(reader);
    await reader.open();

    const decided = new Promise<Decision>((resolve) => terminal.once('decision', resolve));
    device.placeCard(person);
    const decision = await decided;
    expect(decision.outcome).toBe('granted');
    expect(decision.effectiveTier).toBe('AA');
    expect(decision.standingSource).toBe('platform');
    expect(decision.subject?.pseudonym).toBe(sim.pseudonymizer.pseudonymize(person.idNumber));
  });

  it('a scan on the virtual serial scanner reaches a real SerialScanner', async () => {
    const sim = await simulator({ seed: 'scanner', people: 3 });
    const { device, transport } = await sim.attach('serial-scanner');
    const scanner = new SerialScanner({ transport });
    closers.push(() => scanner.close());
    await scanner.open();
    const scanned = new Promise<string>((resolve) =>
      scanner.once('scan', (event) => resolve(event.scan.text)),
    );
    await device.scan('MEMBER-0042');
    expect(await scanned).toBe('MEMBER-0042');
  });

  it('issues a phone per person (the same one each time), none to a person on a black list', async () => {
    const sim = await simulator({ seed: 'phones', people: 60, population: { blackListRate: 0.3 } });
    const listed = sim.people.find((p) => p.lists.some((l) => l.kind === 'black' && l.domain === undefined))!;
    const clean = sim.people.find((p) => p.lists.length === 0)!;
    expect(sim.phone(listed)).toBeUndefined();
    const phone = sim.phone(clean)!;
    expect(sim.phone(clean)).toBe(phone);
    expect(phone.present()).toMatch(/^QZ1:/);
  });

  it('starts the mock platform on loopback when asked, with the same people, and stops it on close()', async () => {
    const sim = await simulator({ seed: 'with-platform', people: 4, platform: true });
    expect(sim.platform?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(sim.issuer).toBe(sim.platform?.issuer);
    const url = sim.platform!.url;
    await sim.close();
    await sim.close(); // idempotent
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await expect(sim.attach('aa-gate')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('refuses bad options with INVALID_OPTIONS naming the option, and an unknown device kind', async () => {
    for (const [options, option] of [
      [{ seed: '' }, 'seed'],
      [{ people: -1 }, 'people'],
      [{ people: 1.5 }, 'people'],
    ] as const) {
      const error = await createSimulator(options).catch((e: unknown) => e);
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toContain(option);
    }
    const sim = await simulator({ people: 1 });
    await expect(sim.attach('teleporter' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
