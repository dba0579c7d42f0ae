#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { describeBenefit, isXinyiError, qingzhouPolicyPack, shanghaiDate } from '../sdk/index.js';
import { runSimulatedDay, type SimulatedVisit } from '../simulator/index.js';
import { DOCTOR_USAGE, doctorCommand } from './doctor-command.js';
import { GATE_USAGE, gateCommand } from './gate-command.js';
import { SIM_USAGE, simCommand } from './sim-command.js';

const USAGE = `xinyi — 信易+ terminal SDK command line

Usage:
  xinyi demo [--date YYYY-MM-DD] [--seed S] [--people N] [--visits N] [--pace MS] [--data-dir DIR]
      A simulated day: synthetic citizens at a scenic gate, a supermarket checkout,
      a library kiosk and a hospital desk; decisions printed as they happen, committed
      to a decision journal and uploaded to the mock platform.
      Try --date 2026-10-03 (国庆节) to see the holiday exclusion at the gate.
      --data-dir  keep the journal and the snapshot there (default: a temporary directory)
${SIM_USAGE}
${GATE_USAGE}
${DOCTOR_USAGE}
  xinyi help`;

/** Terminal columns taken by a string: CJK and full-width characters take two. */
function width(text: string): number {
  let w = 0;
  for (const ch of text)
    w +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(
        ch,
      )
        ? 2
        : 1;
  return w;
}

function pad(text: string, columns: number): string {
  return text + ' '.repeat(Math.max(0, columns - width(text)));
}

const tty = process.stdout.isTTY === true;
const paint = (code: number, text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text);
const OUTCOME_COLOUR = { granted: 32, denied: 33, unavailable: 36 } as const;

function formatVisit({
  decision,
  via,
  platformDown,
  cardReadMs,
  qrDecodeMs,
  uploadBacklog,
}: SimulatedVisit): string {
  const time = new Date(Date.parse(decision.at) + 8 * 3_600_000).toISOString().slice(11, 19);
  const who = decision.subject?.masked ?? (via === 'qr-code' ? '(信用码 QR)' : '(unreadable card)');
  const tier = decision.effectiveTier ?? '—';
  const what =
    decision.outcome === 'granted'
      ? decision.benefits.map((b) => describeBenefit(b, qingzhouPolicyPack.labels)).join('、')
      : decision.reasons
          .filter((r) => r.code !== 'GRANTED')
          .map((r) => r.code)
          .filter((code, i, all) => all.indexOf(code) === i)
          .join(' ');
  const notes = [
    via === 'member-card'
      ? '会员卡'
      : via === 'qr-code'
        ? `扫码 ${qrDecodeMs ?? '?'} ms`
        : `读卡 ${cardReadMs ?? '?'} ms`,
    via === 'bad-id-card' ? '校验位错误' : '',
    decision.standingSource === 'none' ? '' : `来源 ${decision.standingSource}`,
    platformDown ? `平台中断 待上传 ${uploadBacklog}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    time,
    pad(decision.scene, 21),
    pad(who, 19),
    pad(tier, 4),
    paint(OUTCOME_COLOUR[decision.outcome], pad(decision.outcome, 12)),
    `${(decision.latencyMs ?? 0).toFixed(1).padStart(6)} ms  `,
    what,
    notes ? paint(90, `  [${notes}]`) : '',
  ].join(' ');
}

async function demo(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      date: { type: 'string' },
      seed: { type: 'string' },
      people: { type: 'string' },
      visits: { type: 'string' },
      pace: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const paceMs = values.pace === undefined ? (tty ? 60 : 0) : Number(values.pace);
  const started = Date.now();
  console.log(
    paint(1, '信易+ terminal demo — simulated devices, synthetic citizens, default Qingzhou policy pack'),
  );
  console.log(
    `policy ${qingzhouPolicyPack.packId}@${qingzhouPolicyPack.version}; ID numbers are shown masked only\n`,
  );
  console.log(
    paint(
      90,
      `${pad('time', 8)} ${pad('scene', 21)} ${pad('citizen', 19)} ${pad('tier', 4)} ${pad('outcome', 12)} latency    benefits / reasons`,
    ),
  );
  const summary = await runSimulatedDay({
    date: values.date,
    seed: values.seed,
    people: values.people === undefined ? undefined : Number(values.people),
    visits: values.visits === undefined ? undefined : Number(values.visits),
    dataDir: values['data-dir'],
    onDecision: async (visit) => {
      console.log(formatVisit(visit));
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    },
  });
  const day = summary.visits[0]
    ? shanghaiDate(Date.parse(summary.visits[0].decision.at))
    : (values.date ?? '');
  console.log(paint(1, `\nSummary for ${day}: ${summary.visits.length} decisions`));
  for (const [scene, counts] of Object.entries(summary.byScene)) {
    console.log(
      `  ${pad(scene, 21)} granted ${String(counts.granted).padStart(3)}   denied ${String(counts.denied).padStart(3)}   unavailable ${String(counts.unavailable).padStart(3)}`,
    );
  }
  const reads = summary.visits.flatMap((v) => (v.cardReadMs === undefined ? [] : [v.cardReadMs]));
  if (reads.length > 0) {
    reads.sort((a, b) => a - b);
    console.log(
      `  ID-card reads over the SAM protocol, 115200 baud wire time modelled: median ${reads[Math.floor(reads.length / 2)]} ms, max ${reads.at(-1)} ms`,
    );
  }
  const { p50, p99, max } = summary.latencyMs;
  console.log(
    `  present() latency (credit code, platform over loopback HTTP, snapshot): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
  );
  const { journal } = summary;
  console.log(
    `  decision journal (${journal.kind === 'sqlite' ? 'SQLite, synchronous FULL' : 'in memory: better-sqlite3 is not installed'}): committed ${journal.counts.decisions} decisions and ${journal.counts.disclosures} disclosures before acting, ${journal.confirmed} grants confirmed as used (gate passages, checkout sales)${journal.path ? ` — ${journal.path}` : ''}`,
  );
  console.log(
    `  uploaded to the platform: ${journal.uploaded.decisions} decisions, ${journal.uploaded.disclosures} disclosures (each key once); backlog peaked at ${journal.peakBacklog} during the outage, ${journal.backlog} left`,
  );
  console.log(`  finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'demo':
      return demo(rest);
    case 'sim':
      return simCommand(rest);
    case 'gate':
      return gateCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`xinyi: unknown command '${command}'\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main().catch((error: unknown) => {
  console.error(isXinyiError(error) ? `xinyi: ${error.code}: ${error.message}` : error);
  process.exitCode = 1;
});
