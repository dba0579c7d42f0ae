import type { Clock } from '../../sdk/clock.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../sdk/diagnostics/metrics.js';
import { isXinyiError } from '../../sdk/errors.js';
import type { Gate } from '../../sdk/gate/gate.js';
import { GateController } from '../../sdk/gate/gate-controller.js';
import type { JournalStore } from '../../sdk/journal/journal-store.js';
import type { Logger } from '../../sdk/logger.js';
import type { Terminal } from '../../sdk/terminal/terminal-contract.js';
import type { GateConfig } from './config.js';
import { createGateFromConfig } from './devices.js';
import { withIsoTimestamps } from './iso-timestamps.js';
import { allowedHostNames, hostHeaderName } from './local-files.js';
import { openTerminalHost, type TerminalHost, type TerminalHostHealth } from './terminal-host.js';

/** The part of `/diagnostics` shown as written, not rewritten to ISO timestamps. */
const CONFIG_KEY = new Set(['config']);

export interface GateDaemonOptions {
  config: GateConfig;
  /** The configuration file's folder: relative paths in it are relative to this. */
  baseDir: string;
  logger: Logger;
  /** Aborts a start that is still waiting for the journal (SIGTERM before the daemon is up). */
  signal?: AbortSignal;
  /**
   * The daemon's time source, for a simulation that shares one clock between the daemon and its
   * simulated platform. @default the system clock, shifted to `config.clock.startAt` when set
   */
  clock?: Clock;
}

export interface GateDaemonHealth extends TerminalHostHealth {
  gate: { pendingOpenings: number; stats: Record<string, number> };
}

export interface GateDaemon {
  /** `http://host:port` of the health and metrics server. */
  readonly url: string;
  readonly terminal: Terminal;
  readonly controller: GateController;
  readonly journal: JournalStore;
  health(): GateDaemonHealth;
  /** Stops taking credentials, lets decisions in progress commit, then closes everything. Idempotent. */
  stop(): Promise<{ decisions: number; backlog: number }>;
}

/**
 * Starts the scenic-gate daemon: journal, credit chain (credit code → platform → snapshot), terminal,
 * gate lane, devices (opened in the background until they answer), uploader, retention, and the
 * health/metrics server. Rejects with `CONFIG_INVALID` / `JOURNAL_UNAVAILABLE` for what it cannot run without.
 */
export async function startGateDaemon(options: GateDaemonOptions): Promise<GateDaemon> {
  const { config, logger } = options;
  let opened: TerminalHost | undefined;
  try {
    // Created, not opened: the host locks and checks its link with the other devices before anything opens.
    const gate: Gate = createGateFromConfig(config.devices.gate, logger);
    const host = await openTerminalHost({ ...options, gateName: gate.name });
    opened = host;
    const { terminal, journal, clock, devices } = host;
    devices.set(gate.name, gate.deviceState);
    const controller = new GateController({
      terminal,
      gate,
      journal,
      direction: config.lane.direction,
      ...(config.lane.passageTimeoutMs ? { passageTimeoutMs: config.lane.passageTimeoutMs } : {}),
      ...(config.lane.repeatWindowMs === undefined ? {} : { repeatWindowMs: config.lane.repeatWindowMs }),
      ...(config.lane.antiPassback ? { antiPassback: true as const } : {}),
      clock,
      logger,
    });
    controller.on('outcome', (o) => {
      const d = 'decision' in o ? o.decision : undefined;
      logger.info(
        {
          outcome: o.kind,
          decisionId: d?.id,
          decision: d?.outcome,
          source: d?.standingSource,
          reasons: d?.reasons.map((r) => r.code),
          latencyMs: d?.latencyMs,
          siteStateDegraded: d?.siteStateDegraded,
          citizenMessage: d?.explanation.citizen,
          code: 'error' in o ? o.error.code : undefined,
        },
        'gate outcome',
      );
    });
    controller.on('alarm', (a) => logger.warn({ alarm: a.alarm, active: a.active }, 'gate alarm'));
    controller.on('warning', (e) => logger.warn({ code: e.code, err: e.message }, 'gate lane problem'));
    for (const source of host.sources) controller.attach(source);
    host.keepOpening(
      gate.name,
      () => gate.connect(),
      () => gate.disconnect(),
    );

    const health = (): GateDaemonHealth => {
      // The gate's state is read live: it reports no `device` event of its own to the terminal.
      devices.set(gate.name, gate.deviceState);
      return {
        ...host.health(),
        gate: { pendingOpenings: controller.pendingOpenings, stats: { ...controller.stats } },
      };
    };

    const hostNames = allowedHostNames(config.http.host, config.http.allowedHosts);
    const { url } = await host.serve({
      gates: [controller],
      handler: (req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        const name = hostHeaderName(req.headers.host);
        if (name === undefined || !hostNames.has(name)) {
          // DNS rebinding: a page served from another name must not read /diagnostics through 127.0.0.1.
          res.writeHead(421, { 'content-type': 'application/json' }).end('{"error":"misdirected-request"}');
          return;
        }
        if (req.method !== 'GET') {
          res.writeHead(405, { allow: 'GET' }).end();
          return;
        }
        if (path === '/health') {
          // 200 while it can serve (degraded included): a supervisor restarts on failure, not on an outage.
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify(withIsoTimestamps(health())));
        } else if (path === '/metrics') {
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(host.renderMetrics());
        } else if (path === '/diagnostics') {
          const body = { ...host.diagnostics(), health: health() };
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify(withIsoTimestamps(JSON.parse(JSON.stringify(body)), CONFIG_KEY)));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not-found"}');
        }
      },
    });

    let decisions = 0;
    terminal.on('decision', () => decisions++);
    logger.info(
      {
        terminalId: config.terminalId,
        scene: config.scene,
        policy: (() => {
          const policy = host.documents.policyAt(clock.now());
          return `${policy.packId}@${policy.version}`;
        })(),
        calendar: host.documents.calendar().version,
        gate: gate.name,
        sources: host.sources.map((s) => s.name),
        http: url,
      },
      'gate daemon started',
    );

    let stopped: Promise<{ decisions: number; backlog: number }> | undefined;
    return {
      url,
      terminal,
      controller,
      journal,
      health,
      stop() {
        stopped ??= (async () => {
          logger.info({}, 'gate daemon stopping');
          await controller.close(2_000);
          // One last try to hand over what is committed; whatever stays is sent after the restart.
          const backlog = await host.flushUploads(2_000);
          await host.close();
          logger.info({ decisions, backlog }, 'gate daemon stopped');
          return { decisions, backlog };
        })();
        return stopped;
      },
    };
  } catch (error) {
    if (isXinyiError(error) && error.code !== 'CLOSED') {
      logger.error({ code: error.code, err: error.message, ...error.details }, 'gate daemon cannot start');
    }
    await opened?.close();
    throw error;
  }
}
