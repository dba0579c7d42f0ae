import { describe, expect, it } from 'vitest';
import { creditMaterialHealth } from '../../../sdk/credit/credit-health.js';
import type { PlatformSyncStatus } from '../../../sdk/credit/platform-sync.js';

const NOW = Date.parse('2026-11-26T10:00:00+08:00');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function status(overrides: Partial<PlatformSyncStatus> = {}): PlatformSyncStatus {
  return {
    running: true,
    lastSuccessAt: NOW - 60_000,
    lastFailure: null,
    consecutiveFailures: 0,
    nextSyncAt: NOW + 60_000,
    trustListVersion: 3,
    trustListExpiresAt: NOW + 90 * DAY,
    statusListAt: NOW - 60_000,
    snapshot: null,
    ...overrides,
  };
}

describe('creditMaterialHealth', () => {
  it('no alarm for fresh lists and a working sync', () => {
    const health = creditMaterialHealth(status(), { now: NOW });
    expect(health).toEqual({
      alarms: [],
      lastSyncSuccessAt: new Date(NOW - 60_000).toISOString(),
      lastSyncFailure: null,
      consecutiveSyncFailures: 0,
      trustListVersion: 3,
      trustListExpiresAt: new Date(NOW + 90 * DAY).toISOString(),
      statusListIssuedAt: new Date(NOW - 60_000).toISOString(),
      statusListAgeMs: 60_000,
    });
  });

  it('a missing status list, or one older than maxStatusAgeMs (24 h by default), is an alarm', () => {
    expect(creditMaterialHealth(status({ statusListAt: null }), { now: NOW }).alarms).toEqual([
      'status-list-missing',
    ]);
    expect(creditMaterialHealth(status({ statusListAt: NOW - DAY }), { now: NOW }).alarms).toEqual([]);
    expect(creditMaterialHealth(status({ statusListAt: NOW - DAY - 1 }), { now: NOW }).alarms).toEqual([
      'status-list-stale',
    ]);
    expect(
      creditMaterialHealth(status({ statusListAt: NOW - 2 * HOUR }), { now: NOW, maxStatusAgeMs: HOUR })
        .alarms,
    ).toEqual(['status-list-stale']);
  });

  it('a trust list expiring within 7 days warns; an expired or absent one is missing', () => {
    expect(
      creditMaterialHealth(status({ trustListExpiresAt: NOW + 7 * DAY + 1 }), { now: NOW }).alarms,
    ).toEqual([]);
    expect(creditMaterialHealth(status({ trustListExpiresAt: NOW + 7 * DAY }), { now: NOW }).alarms).toEqual([
      'trust-list-expiring',
    ]);
    expect(creditMaterialHealth(status({ trustListExpiresAt: NOW }), { now: NOW }).alarms).toEqual([
      'trust-list-missing',
    ]);
    expect(
      creditMaterialHealth(status({ trustListVersion: null, trustListExpiresAt: null }), { now: NOW }).alarms,
    ).toEqual(['trust-list-missing']);
  });

  it('a failing sync is an alarm, with the last success and the failure', () => {
    const health = creditMaterialHealth(
      status({
        consecutiveFailures: 4,
        lastSuccessAt: NOW - 5 * DAY,
        lastFailure: { code: 'CREDIT_UNAVAILABLE', part: 'status-list', at: NOW - 30_000 },
        statusListAt: NOW - 5 * DAY,
      }),
      { now: NOW },
    );
    expect(health.alarms).toEqual(['status-list-stale', 'platform-sync-failing']);
    expect(health.lastSyncSuccessAt).toBe(new Date(NOW - 5 * DAY).toISOString());
    expect(health.lastSyncFailure).toEqual({
      code: 'CREDIT_UNAVAILABLE',
      part: 'status-list',
      at: new Date(NOW - 30_000).toISOString(),
    });
  });
});
