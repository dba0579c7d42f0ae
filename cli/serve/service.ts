import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../../sdk/clock.js';
import { isXinyiError } from '../../sdk/errors.js';
import type { Logger } from '../../sdk/logger.js';
import { configPath, type ServeConfig } from '../gate/config.js';
import { openTerminalHost, type TerminalHost } from '../gate/terminal-host.js';
import { readApiToken } from './api-token.js';
import { EventLog } from './event-log.js';
import { openIdempotencyStore } from './idempotency-store.js';
import { createServeApi } from './serve-api.js';

export interface ServeServiceOptions {
  config: ServeConfig;
  /** The configuration file's folder: relative paths in it are relative to this. */
  baseDir: string;
  logger: Logger;
  /** Aborts a start that is still waiting for the journal. */
  signal?: AbortSignal;
  clock?: Clock;
}

export interface ServeService {
  /** `http://host:port` of the API. */
  readonly url: string;
  readonly host: TerminalHost;
  /**
   * Stops: refuses new calls, answers waiting `present` calls `CLOSED`, lets decisions in progress
   * commit and be answered, closes the event streams, flushes uploads, closes the terminal. Idempotent.
   */
  stop(): Promise<{ decisions: number; backlog: number }>;
}

/**
 * `xinyi serve`: the terminal of a till or kiosk (its devices, credit chain, journal, uploader, site
 * state) as a local service with the HTTP and WebSocket API of docs/serve.md.
 */
export async function startServeService(options: ServeServiceOptions): Promise<ServeService> {
  const { config, baseDir, logger } = options;
  let reservedId: string | undefined;
  let opened: TerminalHost | undefined;
  try {
    const token = readApiToken(config, baseDir);
    const host = await openTerminalHost({
      ...options,
      lockHolder: 'xinyi serve',
      // The id reserved for an idempotency key, taken by the `present()` it was reserved for.
      newDecisionId: () => {
        const id = reservedId ?? randomUUID();
        reservedId = undefined;
        return id;
      },
    });
    opened = host;
    const idempotency = await openIdempotencyStore({
      path: join(configPath(baseDir, config.dataDir), 'idempotency.sqlite'),
      ttlMs: config.api.idempotencyTtlMs,
      logger,
    });
    host.onClose(() => idempotency.close());
    const events = new EventLog({
      capacity: config.api.eventBufferSize,
      epoch: randomUUID().slice(0, 8),
      now: () => host.clock.now(),
    });
    const api = createServeApi({
      host,
      config,
      token,
      events,
      idempotency,
      reserveDecisionId: (id) => {
        reservedId = id;
      },
      logger,
    });
    const detachers = host.sources.map((source) => {
      const offCredential = source.onCredential((credential) => api.tapped(source.name, credential));
      const offState = source.onState?.((state, reason) =>
        host.terminal.emit(
          'device',
          reason === undefined ? { device: source.name, state } : { device: source.name, state, reason },
        ),
      );
      return () => {
        offCredential();
        offState?.();
      };
    });
    const { url } = await host.serve({
      handler: (req, res) => api.handle(req, res),
      onUpgrade: (req, socket, head) => api.upgrade(req, socket, head),
    });
    let decisions = 0;
    host.terminal.on('decision', () => decisions++);
    logger.info(
      {
        terminalId: config.terminalId,
        scene: config.scene,
        sources: host.sources.map((s) => s.name),
        http: url,
        allowedOrigins: config.api.allowedOrigins,
      },
      'xinyi serve started',
    );

    let stopped: Promise<{ decisions: number; backlog: number }> | undefined;
    return {
      url,
      host,
      stop() {
        stopped ??= (async () => {
          logger.info({}, 'xinyi serve stopping');
          for (const detach of detachers) detach();
          await api.stop(3_000);
          const backlog = await host.flushUploads(2_000);
          await host.close();
          logger.info({ decisions, backlog }, 'xinyi serve stopped');
          return { decisions, backlog };
        })();
        return stopped;
      },
    };
  } catch (error) {
    if (isXinyiError(error) && error.code !== 'CLOSED') {
      logger.error({ code: error.code, err: error.message, ...error.details }, 'xinyi serve cannot start');
    }
    await opened?.close();
    throw error;
  }
}
