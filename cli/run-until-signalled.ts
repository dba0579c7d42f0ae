import { isXinyiError } from '../sdk/errors.js';
import type { Logger } from '../sdk/logger.js';

/** A second signal this soon after the first is the same Ctrl-C relayed by a launcher, not a second press. */
const REPEATED_SIGNAL_WINDOW_MS = 1_000;

/**
 * Runs a long-lived service (`xinyi gate`, `xinyi serve`) until SIGTERM or SIGINT: the first signal
 * stops it cleanly (a start still waiting for its journal is aborted), the same signal relayed by a
 * launcher within a second is ignored, and a later one exits at once (130). `<name> starting` is
 * logged once the handlers are in, with `fields`.
 */
export async function runUntilSignalled(
  logger: Logger,
  name: string,
  fields: Record<string, unknown>,
  start: (signal: AbortSignal) => Promise<{ stop(): Promise<unknown> }>,
): Promise<void> {
  process.on('unhandledRejection', (reason) => {
    // Logged, not fatal: every decision is committed before it is acted on, so nothing is at risk.
    logger.error({ err: isXinyiError(reason) ? reason.code : String(reason) }, 'unhandled rejection');
  });
  const starting = new AbortController();
  let service: { stop(): Promise<unknown> } | undefined;
  let firstSignalAt: number | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      const now = Date.now();
      if (firstSignalAt !== undefined) {
        // A launcher relays the terminal's Ctrl-C that this process got too (npm, a shell wrapper):
        // the same keypress, twice within moments. Only a later signal means "do not wait".
        if (now - firstSignalAt < REPEATED_SIGNAL_WINDOW_MS) {
          logger.info({ signal }, 'signal repeated by the launcher: already stopping');
          return;
        }
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      firstSignalAt = now;
      logger.info({ signal }, 'signal received');
      if (service === undefined) {
        starting.abort();
        resolve();
        return;
      }
      service.stop().then(
        () => resolve(),
        (error: unknown) => {
          logger.error({ err: String(error) }, 'stop failed');
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  // A launcher's copy of the signal can arrive after the service has stopped. Were the process exiting
  // by then, Node's teardown would no longer run the handler and the copy would end it by SIGINT (no
  // exit code) instead of 0: stay until the window for such copies has passed.
  const outlastRelayedCopies = async () => {
    const leftMs = (firstSignalAt ?? Number.NEGATIVE_INFINITY) + REPEATED_SIGNAL_WINDOW_MS - Date.now();
    if (leftMs > 0) await new Promise((resolve) => setTimeout(resolve, leftMs));
  };
  logger.info({ pid: process.pid, ...fields }, `${name} starting`);
  try {
    service = await start(starting.signal);
  } catch (error) {
    if (starting.signal.aborted) return outlastRelayedCopies();
    throw error;
  }
  // A signal that came while the service was starting: stop what has started.
  if (starting.signal.aborted) await service.stop();
  await stopped;
  await outlastRelayedCopies();
}
