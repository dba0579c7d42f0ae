import { DEFAULT_MAX_STATUS_AGE_MS } from './credit-code.js';
import type { PlatformSyncStatus } from './platform-sync.js';

/**
 * Alarms about the offline credit material a terminal holds, from its platform sync's status: what
 * a gate's health endpoint shows and staff must act on (docs/gates.md, "Health").
 *
 * - `trust-list-missing`: no valid trust list, so no credit code and no platform answer verifies.
 * - `trust-list-expiring`: the trust list expires within `trustListWarningMs` (7 days).
 * - `status-list-missing`: no status list (none yet, or its key was withdrawn): credit codes grant nothing.
 * - `status-list-stale`: the status list is older than `maxStatusAgeMs`: credit codes grant nothing.
 * - `platform-sync-failing`: the last sync run failed (`lastSuccessAt` says since when).
 */
export type CreditMaterialAlarm =
  | 'trust-list-missing'
  | 'trust-list-expiring'
  | 'status-list-missing'
  | 'status-list-stale'
  | 'platform-sync-failing';

export interface CreditMaterialHealthOptions {
  /** Epoch ms. */
  now: number;
  /** The credit-code resolver's limit. @default DEFAULT_MAX_STATUS_AGE_MS */
  maxStatusAgeMs?: number;
  /** @default 7 days */
  trustListWarningMs?: number;
}

export interface CreditMaterialHealth {
  alarms: CreditMaterialAlarm[];
  /** ISO times, or null when there is none. */
  lastSyncSuccessAt: string | null;
  lastSyncFailure: { code: string; part: string; at: string } | null;
  consecutiveSyncFailures: number;
  trustListVersion: number | null;
  trustListExpiresAt: string | null;
  statusListIssuedAt: string | null;
  statusListAgeMs: number | null;
}

export const TRUST_LIST_WARNING_MS = 7 * 86_400_000;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The alarms and the facts behind them; a pure function of the sync's status and the time. */
export function creditMaterialHealth(
  status: PlatformSyncStatus,
  options: CreditMaterialHealthOptions,
): CreditMaterialHealth {
  const { now } = options;
  const maxStatusAgeMs = options.maxStatusAgeMs ?? DEFAULT_MAX_STATUS_AGE_MS;
  const warningMs = options.trustListWarningMs ?? TRUST_LIST_WARNING_MS;
  const alarms: CreditMaterialAlarm[] = [];
  const expiresAt = status.trustListExpiresAt;
  if (status.trustListVersion === null || expiresAt === null || now >= expiresAt) {
    alarms.push('trust-list-missing');
  } else if (expiresAt - now <= warningMs) {
    alarms.push('trust-list-expiring');
  }
  const statusAgeMs = status.statusListAt === null ? null : now - status.statusListAt;
  if (statusAgeMs === null) alarms.push('status-list-missing');
  else if (statusAgeMs > maxStatusAgeMs) alarms.push('status-list-stale');
  if (status.consecutiveFailures > 0) alarms.push('platform-sync-failing');
  return {
    alarms,
    lastSyncSuccessAt: iso(status.lastSuccessAt),
    lastSyncFailure:
      status.lastFailure === null
        ? null
        : { code: status.lastFailure.code, part: status.lastFailure.part, at: iso(status.lastFailure.at)! },
    consecutiveSyncFailures: status.consecutiveFailures,
    trustListVersion: status.trustListVersion,
    trustListExpiresAt: iso(expiresAt),
    statusListIssuedAt: iso(status.statusListAt),
    statusListAgeMs: statusAgeMs,
  };
}
