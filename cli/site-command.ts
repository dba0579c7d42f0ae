import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { maskIdNumber } from '../sdk/identity/index.js';
import type { PassageBehaviour } from '../simulator/devices/virtual-gate-core.js';
import { isSocatAvailable } from '../simulator/pty.js';
import { type SiteDevice, startSimulatedSite } from '../simulator/simulated-site.js';

export const SITE_USAGE = `  xinyi sim --site DIR [--platform-port PORT] [--http-port PORT] [--seed S] [--people N]
      A whole simulated scenic spot for \`xinyi gate\`: a SAM ID-card reader, a QR scanner and an
      AA-frame gate board on socat PTYs under DIR, and the mock platform on 127.0.0.1:PORT
      (default 18080). Writes DIR/gate.json; run \`xinyi gate --config DIR/gate.json\` next to it.
      Commands on stdin: tap N | code N | people | behaviour pass|no-pass|tailgate|push-back
                         | unplug gate|id-card-reader|scanner [MS] | platform down|up | quit`;

const BEHAVIOURS: readonly PassageBehaviour[] = ['pass', 'no-pass', 'tailgate', 'push-back'];
const DEVICES: readonly SiteDevice[] = ['gate', 'id-card-reader', 'scanner'];

/** `xinyi sim --site DIR`: runs until `quit`, the end of stdin, or SIGINT/SIGTERM. */
export async function siteCommand(options: {
  dir: string;
  platformPort?: string;
  httpPort?: string;
  seed?: string;
  people?: string;
}): Promise<void> {
  if (!isSocatAvailable()) throw new Error('xinyi sim --site needs socat: apt-get install socat');
  const dir = resolve(options.dir);
  const site = await startSimulatedSite({
    dir,
    platformPort: Number(options.platformPort ?? 18_080),
    ...(options.seed ? { seed: options.seed } : {}),
    people: Number(options.people ?? 40),
  });
  const configFile = join(dir, 'gate.json');
  writeFileSync(
    configFile,
    `${JSON.stringify(
      site.gateConfig({ http: { host: '127.0.0.1', port: Number(options.httpPort ?? 9464) } }),
      null,
      2,
    )}\n`,
  );
  console.log(`site ready in ${dir}`);
  console.log(`  ID-card reader ${site.description.idCardReaderPath} (115200 8N1)`);
  console.log(`  QR scanner     ${site.description.scannerPath}`);
  console.log(
    `  gate board     ${site.description.gatePath} (AA-frame, 9600 8N1, address 0x${site.gate.address.toString(16)})`,
  );
  console.log(`  platform       ${site.platform.url}`);
  console.log(`now run:  xinyi gate --config ${configFile}`);
  let lastPhase = '';
  site.gate.core.on('change', (s) => {
    const line = `${s.phase}${s.direction ? ` ${s.direction}` : ''}${s.alarms.length ? ` alarms ${s.alarms.join(',')}` : ''}`;
    if (line === lastPhase) return;
    lastPhase = line;
    console.log(`  gate: ${line}  (in ${s.entryCount}, out ${s.exitCount})`);
  });

  await new Promise<void>((done) => {
    const lines = createInterface({ input: process.stdin });
    const finish = () => {
      lines.close();
      process.stdin.destroy();
      done();
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    lines.on('close', finish);
    lines.on('line', (line) => {
      const [command, arg, extra] = line.trim().split(/\s+/);
      const person = arg === undefined ? undefined : site.people[Number(arg)];
      switch (command) {
        case 'tap':
          if (!person) return void console.log(`no person ${arg}; there are ${site.people.length}`);
          console.log(`card ${arg} tapped: ${maskIdNumber(person.idNumber)} (${person.tier})`);
          void site.tap(person);
          break;
        case 'code':
          if (!person || !site.phones.has(person.id))
            return void console.log(`person ${arg} has no credit code`);
          console.log(`code ${arg} shown to the scanner`);
          void site.showCode(person);
          break;
        case 'people':
          site.people.forEach((p, i) => {
            const lists = p.lists.map((l) => l.kind).join(',');
            console.log(
              `${String(i).padStart(3)}  ${maskIdNumber(p.idNumber)}  ${p.tier.padEnd(3)} ${lists}${site.phones.has(p.id) ? '' : ' (no code)'}`,
            );
          });
          break;
        case 'behaviour':
          if (!BEHAVIOURS.includes(arg as PassageBehaviour))
            return void console.log(`behaviours: ${BEHAVIOURS.join(' ')}`);
          site.gate.core.setDefaultBehaviour(arg as PassageBehaviour);
          console.log(`people now: ${arg}`);
          break;
        case 'unplug':
          if (!DEVICES.includes(arg as SiteDevice)) return void console.log(`devices: ${DEVICES.join(' ')}`);
          void site.unplug(arg as SiteDevice, Number(extra ?? 3000));
          console.log(`${arg} unplugged for ${Number(extra ?? 3000)} ms`);
          break;
        case 'platform':
          site.platform.faults.clear();
          if (arg === 'down')
            site.platform.faults.inject({ kind: 'status', status: 503 }, { times: 1_000_000 });
          console.log(`platform ${arg === 'down' ? 'down (503)' : 'up'}`);
          break;
        case 'quit':
          finish();
          break;
        case undefined:
        case '':
          break;
        default:
          console.log(
            'commands: tap N | code N | people | behaviour B | unplug DEVICE [MS] | platform down|up | quit',
          );
      }
    });
  });
  await site.close();
}
