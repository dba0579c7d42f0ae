#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { describeBenefit, qingzhouPolicyPack, shanghaiDate } from '../sdk/index.js';
import { SDK_VERSION } from '../sdk/version.js';
import { runSimulatedDay, type SimulatedVisit } from '../simulator/index.js';
import { CALENDAR_USAGE, calendarCommand } from './calendar-command.js';
import { DEVICES_USAGE, devicesCommand } from './devices-command.js';
import { DOCTOR_USAGE, doctorCommand } from './doctor-command.js';
import { GATE_USAGE, gateCommand } from './gate-command.js';
import { JOURNAL_USAGE, journalCommand } from './journal-command.js';
import { POLICY_USAGE, policyCommand } from './policy-command.js';
import { SIM_USAGE, simCommand } from './sim-command.js';
import { SNAPSHOT_USAGE, snapshotCommand } from './snapshot-command.js';
import { describeFailure, EXIT_USAGE } from './usage.js';

const DEMO_USAGE = `  xinyi demo [--date YYYY-MM-DD] [--seed S] [--people N] [--visits N] [--pace MS] [--data-dir DIR]
      A simulated day: synthetic citizens at a scenic gate, a supermarket checkout,
      a library kiosk and a hospital desk, and synthetic companies at a service window,
      a bank counter and a rental desk; decisions printed as they happen, committed
      to a decision journal and uploaded to the mock platform.
      Try --date 2026-10-03 (国庆节) to see the holiday exclusion at the gate, and
      --date 2027-01-05 for a day after the bundled official calendar (provisional days).
      --data-dir  keep the journal and the snapshot there (default: a temporary directory)`;

const COMMANDS: Record<string, { usage: string; run: (argv: string[]) => Promise<void> }> = {
  demo: { usage: DEMO_USAGE, run: demo },
  sim: { usage: SIM_USAGE, run: simCommand },
  gate: { usage: GATE_USAGE, run: gateCommand },
  doctor: { usage: DOCTOR_USAGE, run: doctorCommand },
  devices: { usage: DEVICES_USAGE, run: devicesCommand },
  snapshot: { usage: SNAPSHOT_USAGE, run: snapshotCommand },
  calendar: { usage: CALENDAR_USAGE, run: calendarCommand },
  policy: { usage: POLICY_USAGE, run: policyCommand },
  journal: { usage: JOURNAL_USAGE, run: journalCommand },
};

const USAGE = `xinyi — 信易+ terminal SDK command line (xinyi-terminal ${SDK_VERSION})

Usage:
${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n')}
  xinyi help [COMMAND] | xinyi COMMAND --help | xinyi --version

Exit codes: 0 done; 1 the work failed (one line on stderr: xinyi: CODE: reason), or doctor found
problems; 2 the command line is wrong (unknown command or flag, missing argument); 3 (gate) another
daemon already runs on the same data folder or devices.
XINYI_DEBUG=1 prints the whole error behind a one-line reason.`;

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
  const who =
    decision.subject?.masked ??
    (via === 'qr-code'
      ? '(信用码 QR)'
      : decision.subjectType === 'organisation'
        ? '(unreadable code)'
        : '(unreadable card)');
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
        : via === 'typed-code'
          ? '单位 统一社会信用代码（录入）'
          : via === 'licence-qr'
            ? '单位 营业执照二维码'
            : via === 'opaque-licence-qr'
              ? '单位 营业执照二维码未含代码，改为录入'
              : `读卡 ${cardReadMs ?? '?'} ms`,
    via === 'bad-id-card' ? '校验位错误' : '',
    decision.calendarProvisional ? '临时日历' : '',
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
    paint(
      1,
      '信易+ terminal demo — simulated devices, synthetic citizens and companies, default Qingzhou policy pack',
    ),
  );
  console.log(
    `policy ${qingzhouPolicyPack.packId}@${qingzhouPolicyPack.version}; ID numbers and credit codes are shown masked only\n`,
  );
  console.log(
    paint(
      90,
      `${pad('time', 8)} ${pad('scene', 21)} ${pad('who', 19)} ${pad('tier', 4)} ${pad('outcome', 12)} latency    benefits / reasons`,
    ),
  );
  const summary = await runSimulatedDay({
    date: values.date,
    seed: values.seed,
    people: values.people === undefined ? undefined : Number(values.people),
    visits: values.visits === undefined ? undefined : Number(values.visits),
    dataDir: values['data-dir'],
    marketSubjects: true,
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
  const cal = summary.calendar;
  const official =
    cal.officialYears.length > 0 ? `${cal.officialYears[0]}–${cal.officialYears.at(-1)}` : 'none';
  console.log(
    cal.provisionalToday
      ? paint(
          33,
          `  holiday calendar ${cal.version}: official ${official}; ${cal.today} is PROVISIONAL — computed from the statutory rules (no 调休 make-up days known); the scenic gate honours the computed 春节/国庆 and grants other days (decisions marked 临时日历)`,
        )
      : `  holiday calendar ${cal.version}: official ${official}, through ${cal.officialThrough} (${cal.officialDaysLeft} days from ${cal.today})${cal.warning ? ' — WARNING: import the next notice within 60 days' : ''}`,
  );
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
    `  decision journal (${journal.kind === 'sqlite' ? 'SQLite, synchronous FULL' : 'in memory: better-sqlite3 is not installed'}): committed ${journal.counts.decisions} decisions and ${journal.counts.disclosures} disclosures (信易批 at the window, 信易贷 once the credit was granted), ${journal.confirmed} grants confirmed as used (gate passages, checkout sales, credit granted)${journal.path ? ` — ${journal.path}` : ''}`,
  );
  console.log(
    `  uploaded to the platform: ${journal.uploaded.decisions} decisions, ${journal.uploaded.disclosures} disclosures (each key once); backlog peaked at ${journal.peakBacklog} during the outage, ${journal.backlog} left`,
  );
  console.log(`  finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function usageFailure(reason: string): void {
  console.error(`xinyi: ${reason} (see: xinyi --help)`);
  process.exitCode = EXIT_USAGE;
}

let current = '';

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  switch (name) {
    case undefined:
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    case '--version':
    case '-v':
      console.log(SDK_VERSION);
      return;
    case 'help': {
      const [topic, ...extra] = rest;
      if (topic === undefined) return void console.log(USAGE);
      const command = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
      if (command === undefined) return usageFailure(`unknown command '${topic}'`);
      if (extra.length > 0) return usageFailure(`help takes one command, not '${extra.join(' ')}'`);
      console.log(`Usage:\n${command.usage}`);
      return;
    }
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    return usageFailure(name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`);
  }
  const end = rest.indexOf('--');
  const flags = end < 0 ? rest : rest.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) {
    console.log(`Usage:\n${command.usage}`);
    return;
  }
  current = name;
  await command.run(rest);
}

main().catch((error: unknown) => {
  const { line, exitCode } = describeFailure(error, current);
  console.error(line);
  // The one line is for the operator; support can ask for the whole chain.
  if (process.env.XINYI_DEBUG) console.error(error);
  process.exitCode = exitCode;
});
