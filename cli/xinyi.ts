#!/usr/bin/env node
import { SDK_VERSION } from '../sdk/version.js';
import {
  CALENDAR_USAGE,
  DEMO_USAGE,
  DEVICES_USAGE,
  DOCTOR_USAGE,
  GATE_USAGE,
  JOURNAL_USAGE,
  POLICY_USAGE,
  SERVE_USAGE,
  SIM_USAGE,
  SNAPSHOT_USAGE,
} from './help-text.js';
import { describeFailure, EXIT_USAGE, xinyiInvocation } from './usage.js';

type Run = (argv: string[]) => Promise<void>;

// A command's module (and the SDK, simulator and native modules behind it) is imported only when that
// command runs: `xinyi --help` and a mistyped command start in a fraction of the time.
const COMMANDS: Record<string, { usage: string; load: () => Promise<Run> }> = {
  demo: { usage: DEMO_USAGE, load: async () => (await import('./demo-command.js')).demoCommand },
  sim: { usage: SIM_USAGE, load: async () => (await import('./sim-command.js')).simCommand },
  gate: { usage: GATE_USAGE, load: async () => (await import('./gate-command.js')).gateCommand },
  serve: { usage: SERVE_USAGE, load: async () => (await import('./serve-command.js')).serveCommand },
  doctor: { usage: DOCTOR_USAGE, load: async () => (await import('./doctor-command.js')).doctorCommand },
  devices: { usage: DEVICES_USAGE, load: async () => (await import('./devices-command.js')).devicesCommand },
  snapshot: {
    usage: SNAPSHOT_USAGE,
    load: async () => (await import('./snapshot-command.js')).snapshotCommand,
  },
  calendar: {
    usage: CALENDAR_USAGE,
    load: async () => (await import('./calendar-command.js')).calendarCommand,
  },
  policy: { usage: POLICY_USAGE, load: async () => (await import('./policy-command.js')).policyCommand },
  journal: { usage: JOURNAL_USAGE, load: async () => (await import('./journal-command.js')).journalCommand },
};

const USAGE = `xinyi — 信易+ terminal SDK command line (xinyi-terminal ${SDK_VERSION})

Usage:
${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n')}
  xinyi help [COMMAND] | xinyi COMMAND --help | xinyi --version

Exit codes: 0 done; 1 the work failed (one line on stderr: xinyi: CODE: reason), or doctor found
problems; 2 the command line is wrong (unknown command or flag, missing argument); 3 (gate, serve)
another daemon or service already runs on the same data folder or devices.
XINYI_DEBUG=1 prints the whole error behind a one-line reason.`;

function usageFailure(reason: string): void {
  console.error(`xinyi: ${reason} (see: ${xinyiInvocation()} --help)`);
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
  const run = await command.load();
  await run(rest);
}

main().catch((error: unknown) => {
  const { line, exitCode } = describeFailure(error, current);
  console.error(line);
  // The one line is for the operator; support can ask for the whole chain.
  if (process.env.XINYI_DEBUG) console.error(error);
  process.exitCode = exitCode;
});
