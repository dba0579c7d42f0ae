import { parseArgs } from 'node:util';
import { describeBenefit, qingzhouPolicyPack, shanghaiDate } from '../sdk/index.js';
import { runSimulatedDay, type SimulatedVisit } from '../simulator/index.js';

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

/** `xinyi demo`: a simulated day, one printed line per decision, then a summary. */
export async function demoCommand(argv: string[]): Promise<void> {
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
