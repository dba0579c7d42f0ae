import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type SimulatedSite, startSimulatedSite } from '../../simulator/simulated-site.js';
import { YEAR_2027 } from '../sdk/documents/fixtures.js';
import { type DaemonProcess, health, startDaemon, stopDaemon, until } from './gate-daemon-process.js';

/**
 * A quiet gate: the platform goes down and comes back while nobody taps. The daemon's own sync and
 * uploads find out both ways, so `/health` returns to `ok` and the platform's gauge to 1 with no
 * decision in between (issue #20: the alarm used to stay on all night until the next citizen).
 */
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

/** Waits for `/health` to satisfy `check`; on a timeout, says what it answered last. */
async function healthUntil(
  daemon: DaemonProcess,
  check: (h: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  try {
    await until(async () => {
      last = await health(daemon);
      return check(last);
    }, timeoutMs);
  } catch {
    throw new Error(
      `/health did not get there; it answered ${JSON.stringify(last)}; last log lines:\n${daemon.raw.slice(-8).join('\n')}`,
    );
  }
  return last;
}

/** The platform source's `xinyi_credit_source_up` gauge, read from the daemon's /metrics. */
async function platformUp(daemon: DaemonProcess): Promise<number | undefined> {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const match = /^xinyi_credit_source_up\{source="platform"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

describe.skipIf(!socat)('gate daemon: platform outage and recovery with no taps', () => {
  let dir: string;
  let site: SimulatedSite;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-gate-recovery-'));
    site = await startSimulatedSite({ dir, people: 12 });
    // An official calendar reaching through next year: no calendar-coverage alarm in December, so
    // `ok` means every other alarm is clear too.
    site.platform.publishCalendar([YEAR_2027]);
    const config = site.gateConfig();
    const configFile = join(dir, 'gate.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        ...config,
        // Short intervals instead of sleeps: the sync and the uploader are the only platform traffic.
        platform: { ...(config.platform as object), syncIntervalMs: 250, statusListIntervalMs: 250 },
        journal: { uploadIntervalMs: 250 },
      }),
    );
    daemon = await startDaemon(configFile);
  }, 60_000);

  afterAll(async () => {
    if (daemon) await stopDaemon(daemon);
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('/health goes degraded with the platform offline, then back to ok and the gauge to 1, with no decision made', async () => {
    await healthUntil(daemon, (h) => h.status === 'ok');
    expect(await platformUp(daemon)).toBe(1);

    site.platform.faults.inject({ kind: 'status', status: 503 });
    const down = await healthUntil(
      daemon,
      (h) =>
        h.status === 'degraded' &&
        (h.creditSourcesOffline as string[]).includes('platform') &&
        (h.sync as { state: string }).state === 'failing',
    );
    expect(down.alarms).toContain('platform-sync-failing');
    // The uploader and the sync are not credit sources.
    expect(down.creditSourcesOffline).toEqual(['platform']);
    expect(await platformUp(daemon)).toBe(0);

    site.platform.faults.clear();
    // Past the circuit breaker's cool-down (5 s), the next sync reaches the platform again.
    const up = await healthUntil(daemon, (h) => h.status === 'ok');
    expect(up).toMatchObject({ creditSourcesOffline: [], alarms: [], sync: { state: 'ok' } });
    expect(await platformUp(daemon)).toBe(1);
    // Nobody tapped: no decision was made on the way.
    expect(daemon.lines.some((l) => l.msg === 'gate outcome')).toBe(false);
    expect((up.gate as { stats: Record<string, number> }).stats).toMatchObject({ opened: 0 });
  }, 90_000);
});
