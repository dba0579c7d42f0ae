// `npm run bench` (or `node --import tsx bench/gate.bench.ts`): the scenic gate lane end to end.
// Credential → terminal (standing from the local SQLite snapshot, decision committed to the SQLite
// journal with synchronous FULL) → GateController → AA-frame driver → the virtual board's open
// command, over in-memory links that model the wire time (115200 baud reader, 9600 baud gate).
// Figures: time from the credential's last byte to the open command reaching the board (p50/p99),
// and sustained persons per minute with simulated passages. Baseline: a flap gate's 60 persons/min.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AaGateDriver } from '../adapters/gate/aa-gate.js';
import { IdCardReader } from '../adapters/id-card/reader.js';
import { SerialScanner } from '../adapters/scanner/serial-scanner-driver.js';
import { createMemoryLink } from '../adapters/transport/memory-transport.js';
import { buildSnapshot, createSnapshotResolver, openSnapshotStore } from '../sdk/credit/index.js';
import { GateController, type GatePassage } from '../sdk/gate/gate-controller.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import { createSqliteJournal } from '../sdk/journal/sqlite-journal.js';
import { createTerminal } from '../sdk/terminal/terminal.js';
import { VirtualAaGateBoard } from '../simulator/devices/virtual-aa-gate.js';
import { cardFieldsForPerson, VirtualIdCardReader } from '../simulator/devices/virtual-id-card-reader.js';
import { VirtualSerialScanner } from '../simulator/devices/virtual-scanners.js';
import { generatePopulation } from '../simulator/population.js';
import { fmt, percentile } from './stats.js';

const FLAP_GATE_PER_MIN = 60;

export async function runGateBench(): Promise<{ p99Ms: number; perMinute: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-gate-bench-'));
  const people = generatePopulation(3000, 'bench-gate').filter(
    (p) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0,
  );
  const pseudonymizer = createPseudonymizer('bench-gate-key-0123456789abcdef');
  const store = await openSnapshotStore({ path: join(dir, 'snapshot.sqlite') });
  const keys = generateKeyPairSync('ed25519');
  store.apply(
    buildSnapshot(
      people.flatMap((p) => [
        { pseudonym: pseudonymizer.pseudonymize(p.idNumber), tier: p.tier, lists: p.lists },
        { pseudonym: pseudonymizer.pseudonymize(p.memberCode, 'member'), tier: p.tier, lists: p.lists },
      ]),
      { privateKey: keys.privateKey, sequence: 1, generatedAt: Date.now() },
    ),
    { publicKeys: keys.publicKey },
  );
  const journal = await createSqliteJournal({ path: join(dir, 'journal.sqlite') });
  const terminal = createTerminal({
    terminalId: 'bench-gate-01',
    scene: 'scenic-gate',
    context: { siteId: 'yunmenshan' },
    pseudonymizer,
    credit: [createSnapshotResolver(store)],
    journal,
  });

  const gateLink = createMemoryLink({ baudRate: 9600 });
  const board = new VirtualAaGateBoard({ timing: { motionMs: 10, passDelayMs: 20, openTimeoutMs: 2000 } });
  await board.attach(gateLink.device);
  const gate = new AaGateDriver({ transport: gateLink.host, address: board.address, pollIntervalMs: 20 });
  await gate.connect();
  const controller = new GateController({ terminal, gate, journal, repeatWindowMs: 0 });

  const readerLink = createMemoryLink({ baudRate: 115_200 });
  const reader = new VirtualIdCardReader();
  await reader.attach(readerLink.device);
  const idReader = new IdCardReader({ transport: readerLink.host, pollIntervalMs: 20 });
  controller.attach(idReader);
  await idReader.open();

  const scanLink = createMemoryLink({ baudRate: 115_200 });
  const scanner = new VirtualSerialScanner({ symbology: 'ean-13' });
  await scanner.attach(scanLink.device);
  const scannerDriver = new SerialScanner({ transport: scanLink.host });
  controller.attach(scannerDriver);
  await scannerDriver.open();

  let lastByteAt = 0;
  const openAt: number[] = [];
  board.core.on('open-command', () => openAt.push(performance.now()));
  reader.on('response', (e) => {
    if (e.name.startsWith('read')) lastByteAt = performance.now();
  });
  const passed = () =>
    new Promise<GatePassage>((resolve) => {
      const on = (p: GatePassage) => {
        controller.off('passage', on);
        resolve(p);
      };
      controller.on('passage', on);
    });

  // 1) Latency, ID card: last byte of the SAM read response → the open frame decoded by the board.
  const cardLatencies: number[] = [];
  const CARD_RUNS = 150;
  for (let i = 0; i < CARD_RUNS; i++) {
    const person = people[i]!;
    const through = passed();
    const opens = openAt.length;
    reader.placeCard(cardFieldsForPerson(person));
    await through;
    if (openAt.length > opens && i >= 5) cardLatencies.push(openAt[opens]! - lastByteAt);
    const removed = new Promise<void>((resolve) => idReader.once('removed', () => resolve()));
    reader.removeCard();
    await removed;
  }

  // 2) Latency and throughput, member QR/barcode on the serial scanner: last byte written → open frame
  // at the board; then the next person scans as soon as the previous one is through.
  const scanLatencies: number[] = [];
  const SCAN_RUNS = 1000;
  const started = performance.now();
  for (let i = 0; i < SCAN_RUNS; i++) {
    const person = people[(CARD_RUNS + i) % people.length]!;
    const through = passed();
    const opens = openAt.length;
    await scanner.scan(person.memberCode);
    const wroteAt = performance.now();
    const passage = await through;
    if (passage.kind === 'passed' && openAt.length > opens && i >= 10)
      scanLatencies.push(openAt[opens]! - wroteAt);
  }
  const elapsedMs = performance.now() - started;
  const perMinute = (SCAN_RUNS / elapsedMs) * 60_000;

  cardLatencies.sort((a, b) => a - b);
  scanLatencies.sort((a, b) => a - b);
  const stats = controller.stats;
  console.log('gate lane (AA-frame board at 9600 baud, SQLite snapshot + journal FULL, in-memory links)');
  console.log(
    `  ID card, last byte of the read → open frame at the board: p50 ${fmt(percentile(cardLatencies, 50), 2)} ms, p99 ${fmt(percentile(cardLatencies, 99), 2)} ms (target p99 < 50 ms; ${cardLatencies.length} taps)`,
  );
  console.log(
    `  scanner, last byte of the scan → open frame at the board: p50 ${fmt(percentile(scanLatencies, 50), 2)} ms, p99 ${fmt(percentile(scanLatencies, 99), 2)} ms (${scanLatencies.length} scans)`,
  );
  console.log(
    '    of which the open frame itself is 16 bytes at 9600 baud = 16.7 ms of wire time on the gate link',
  );
  console.log(
    `  sustained: ${fmt(perMinute)} persons/min through scan → decision → open → passage (${SCAN_RUNS} persons, ${fmt(elapsedMs / 1000, 1)} s, board passes a person 20 ms after opening); ratio to a flap gate's ${FLAP_GATE_PER_MIN}/min: ${fmt(perMinute / FLAP_GATE_PER_MIN, 1)}× (target ≥ 10×)`,
  );
  console.log(
    `  lane: opened ${stats.opened}, passed ${stats.passed}, timeouts ${stats.timeouts}, journal backlog ${journal.backlog().decisions.count} decisions\n`,
  );

  await controller.close();
  await idReader.close();
  await scannerDriver.close();
  await gate.disconnect();
  board.dispose();
  reader.detach();
  scanner.detach();
  await terminal.close();
  journal.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { p99Ms: percentile(cardLatencies, 99), perMinute };
}

if (import.meta.url === `file://${process.argv[1]}`) await runGateBench();
