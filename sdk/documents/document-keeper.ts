import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import {
  type CalendarDocument,
  type CalendarDocumentYear,
  calendarDocumentKind,
} from '../calendar/calendar-document.js';
import { chinaHolidayData } from '../calendar/china-holidays.js';
import {
  createHolidayCalendar,
  type HolidayCalendar,
  type HolidayCalendarData,
  type HolidayYear,
} from '../calendar/holiday-calendar.js';
import { type Clock, systemClock } from '../clock.js';
import { isXinyiError, XinyiError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { PolicyPack } from '../policy/pack.js';
import { type PolicyDocument, policyDocumentKind } from '../policy/policy-document.js';
import { qingzhouPolicyPack } from '../policy/qingzhou-pack.js';
import { loadPolicyPack } from '../policy/validate-pack.js';
import {
  createDocumentSlot,
  type DocumentAcceptResult,
  type DocumentOrigin,
  type DocumentSlot,
} from './document-slot.js';
import type { DocumentKeys, VerifiedDocument } from './signed-document.js';

/** The document kinds a terminal takes. */
export type TerminalDocumentKind = 'calendar' | 'policy-pack';

export interface DocumentKeeperOptions {
  /**
   * Who may sign: usually the platform's trust list (`(kid, usage) => sync.getTrustList()?.keysFor(kid,
   * usage) ?? []`), with keys an operator pinned (`pinnedDocumentKeys`, `combineDocumentKeys`).
   */
  keys: DocumentKeys;
  /** The pack in force before any policy-pack document takes effect. @default qingzhouPolicyPack */
  basePack?: PolicyPack;
  /** Official years a calendar document adds to (and may rewrite). @default chinaHolidayData */
  baseCalendar?: HolidayCalendarData;
  /** Held documents are cached here (`calendar.json`, `policy-pack.json`) and re-verified at creation. */
  cacheDir?: string;
  /** Read the cache but never write it (a command running beside the daemon that owns it). @default false */
  cacheReadOnly?: boolean;
  clock?: Clock;
  logger?: Logger;
}

export interface DocumentKeeperAcceptResult extends DocumentAcceptResult {
  kind: TerminalDocumentKind;
  /** Calendar: years the new document adds, rewrites or drops against the one held before. */
  years?: { added: number[]; rewritten: number[]; removed: number[] };
}

/** A refused document, kept until the same origin delivers a good one (an alarm while it lasts). */
export interface DocumentRefusal {
  kind: TerminalDocumentKind;
  origin: DocumentOrigin;
  code: string;
  reason?: string;
  /** Epoch ms. */
  at: number;
  message: string;
}

export interface DocumentKeeperStatus {
  calendar: {
    /** The calendar document held; null: bundled data only. */
    documentVersion: number | null;
    calendarVersion: string;
    officialYears: readonly number[];
  };
  policy: {
    /** `packId@version` in force at `nowMs`. */
    inForce: string;
    /** The document in force; null: the base pack. */
    documentVersion: number | null;
    /** Documents held that take effect later, ascending. */
    staged: { version: number; policyVersion: string; effectiveFrom: string }[];
  };
  refusals: DocumentRefusal[];
}

export interface DocumentKeeperEventMap {
  updated: [result: DocumentKeeperAcceptResult & { origin: DocumentOrigin }];
  refused: [refusal: DocumentRefusal, error: XinyiError];
  /** A different policy-pack document (or the base pack) came into force. */
  effective: [event: { policyVersion: string; documentVersion: number | null }];
}

export interface DocumentKeeper extends EventEmitter<DocumentKeeperEventMap> {
  /** The calendar: base official years, the calendar document's years over them, provisional years around. */
  calendar(): HolidayCalendar;
  /** The years of the calendar document held (with their notices); empty without one. */
  calendarDocumentYears(): readonly CalendarDocumentYear[];
  /** The pack in force at `nowMs`: the highest-version document whose `effectiveFrom` has come, else the base pack. */
  policyAt(nowMs: number): PolicyPack;
  /**
   * Verifies and takes a document (see `createDocumentSlot`). A refusal is recorded (`refusals`,
   * the `refused` event, a warning in the log) and rethrown; what was held stays in use.
   */
  accept(
    kind: TerminalDocumentKind,
    input: Uint8Array | string,
    origin: DocumentOrigin,
    options?: { passive?: boolean },
  ): Promise<DocumentKeeperAcceptResult>;
  status(nowMs?: number): DocumentKeeperStatus;
}

/** At most this many policy-pack documents are held (the one in force and those staged after it). */
const MAX_HELD_POLICY_DOCUMENTS = 8;

function optionError(message: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `createDocumentKeeper: ${message}`);
}

function mergeYears(base: readonly HolidayYear[], over: readonly HolidayYear[]): HolidayYear[] {
  const byYear = new Map(base.map((y) => [y.year, y] as const));
  for (const y of over) byYear.set(y.year, y);
  return [...byYear.values()].sort((a, b) => a.year - b.year);
}

function yearKey(y: CalendarDocument['years'][number]): string {
  return JSON.stringify({ periods: y.periods, makeupWorkdays: y.makeupWorkdays });
}

/**
 * Keeps a terminal's calendar and policy pack current from signed documents — from the platform
 * sync, from files, from its cache — through one `createDocumentSlot` per kind. Throws
 * `INVALID_OPTIONS` for bad options (a base pack that fails `loadPolicyPack` included).
 */
export function createDocumentKeeper(options: DocumentKeeperOptions): DocumentKeeper {
  if (options === null || typeof options !== 'object' || typeof options.keys !== 'function') {
    throw optionError('keys must be a function (kid, usage) => keys');
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const basePack = options.basePack ?? qingzhouPolicyPack;
  try {
    loadPolicyPack(basePack);
  } catch (cause) {
    throw new XinyiError('INVALID_OPTIONS', 'createDocumentKeeper: basePack is not a valid pack', { cause });
  }
  const baseCalendar = options.baseCalendar ?? chinaHolidayData;
  const cacheFile = (name: string) =>
    options.cacheDir === undefined ? undefined : join(options.cacheDir, name);

  const built = new Map<number, HolidayCalendar>();
  const buildCalendar = (document: VerifiedDocument<CalendarDocument> | undefined): HolidayCalendar => {
    if (document === undefined) return createHolidayCalendar(baseCalendar, { provisional: true });
    const cached = built.get(document.version);
    if (cached) return cached;
    const calendar = createHolidayCalendar(
      {
        version: `${baseCalendar.version}+calendar-doc.${document.version}`,
        years: mergeYears(baseCalendar.years, document.content.holidayYears),
      },
      { provisional: true },
    );
    built.clear();
    built.set(document.version, calendar);
    return calendar;
  };

  const calendarSlot: DocumentSlot<CalendarDocument> = createDocumentSlot({
    kind: calendarDocumentKind,
    keys: options.keys,
    clock,
    logger,
    cacheFile: cacheFile('calendar.json'),
    cacheReadOnly: options.cacheReadOnly === true,
    // The years must combine with the base years (a December day listed twice differently is refused).
    check: (document) => void buildCalendar(document),
  });
  const policySlot: DocumentSlot<PolicyDocument> = createDocumentSlot({
    kind: policyDocumentKind,
    keys: options.keys,
    clock,
    logger,
    cacheFile: cacheFile('policy-pack.json'),
    cacheReadOnly: options.cacheReadOnly === true,
    retain: (held, nowMs) => {
      let inForce = -1;
      held.forEach((d, i) => {
        if (d.content.effectiveFrom <= nowMs) inForce = i;
      });
      return held.slice(Math.max(0, inForce)).slice(-MAX_HELD_POLICY_DOCUMENTS);
    },
  });

  let calendar = buildCalendar(calendarSlot.latest());
  const refusals = new Map<string, DocumentRefusal>();
  let inForceVersion: number | null | undefined;

  const inForceAt = (nowMs: number): VerifiedDocument<PolicyDocument> | undefined => {
    const held = policySlot.held();
    for (let i = held.length - 1; i >= 0; i--) if (held[i]!.content.effectiveFrom <= nowMs) return held[i];
    return undefined;
  };
  const policyVersionOf = (pack: PolicyPack) => `${pack.packId}@${pack.version}`;

  class Keeper extends EventEmitter<DocumentKeeperEventMap> implements DocumentKeeper {
    calendar(): HolidayCalendar {
      return calendar;
    }

    calendarDocumentYears(): readonly CalendarDocumentYear[] {
      return calendarSlot.latest()?.content.years ?? [];
    }

    policyAt(nowMs: number): PolicyPack {
      const document = inForceAt(nowMs);
      const pack = document?.content.pack ?? basePack;
      const version = document?.version ?? null;
      if (version !== inForceVersion) {
        const first = inForceVersion === undefined;
        inForceVersion = version;
        policySlot.prune(nowMs);
        if (!first) {
          logger.info(
            { policyVersion: policyVersionOf(pack), documentVersion: version },
            'policy pack in force',
          );
          this.#emit('effective', { policyVersion: policyVersionOf(pack), documentVersion: version });
        }
      }
      return pack;
    }

    async accept(
      kind: TerminalDocumentKind,
      input: Uint8Array | string,
      origin: DocumentOrigin,
      acceptOptions: { passive?: boolean } = {},
    ): Promise<DocumentKeeperAcceptResult> {
      if (kind !== 'calendar' && kind !== 'policy-pack') {
        throw new XinyiError('INVALID_ARGUMENT', `accept(): unknown document kind ${String(kind)}`);
      }
      const slot: DocumentSlot<CalendarDocument> | DocumentSlot<PolicyDocument> =
        kind === 'calendar' ? calendarSlot : policySlot;
      const before = kind === 'calendar' ? calendarSlot.latest() : undefined;
      let result: DocumentAcceptResult;
      try {
        result = await slot.accept(input, origin, acceptOptions);
      } catch (cause) {
        const error = isXinyiError(cause)
          ? cause
          : new XinyiError('DOCUMENT_INVALID', `${kind} document could not be read`, { cause });
        const refusal: DocumentRefusal = {
          kind,
          origin,
          code: error.code,
          ...(typeof error.details.reason === 'string' ? { reason: error.details.reason } : {}),
          at: clock.now(),
          message: error.message.slice(0, 300),
        };
        refusals.set(`${kind}:${origin}`, refusal);
        logger.warn(
          {
            kind,
            origin,
            code: error.code,
            reason: refusal.reason,
            path: error.details.path ?? error.details.field,
          },
          'document refused; the one held is kept',
        );
        this.#emit('refused', refusal, error);
        throw error;
      }
      refusals.delete(`${kind}:${origin}`);
      const out: DocumentKeeperAcceptResult = { kind, ...result };
      if (kind === 'calendar' && result.outcome === 'updated') {
        const after = calendarSlot.latest()!;
        calendar = buildCalendar(after);
        const old = new Map((before?.content.years ?? []).map((y) => [y.year, yearKey(y)] as const));
        const now = new Map(after.content.years.map((y) => [y.year, yearKey(y)] as const));
        out.years = {
          added: [...now.keys()].filter((y) => !old.has(y)),
          rewritten: [...now.keys()].filter((y) => old.has(y) && old.get(y) !== now.get(y)),
          removed: [...old.keys()].filter((y) => !now.has(y)),
        };
        if (out.years.rewritten.length > 0 || out.years.removed.length > 0) {
          logger.warn(
            { version: result.version, previousVersion: result.previousVersion, ...out.years },
            'calendar document rewrites or drops covered years',
          );
        }
        logger.info(
          {
            version: result.version,
            calendarVersion: calendar.version,
            officialYears: calendar.officialYears,
          },
          'calendar updated',
        );
      }
      if (kind === 'policy-pack' && result.outcome === 'updated') {
        const document = policySlot.latest()!;
        logger.info(
          {
            version: result.version,
            policyVersion: policyVersionOf(document.content.pack),
            effectiveFrom: new Date(document.content.effectiveFrom).toISOString(),
          },
          'policy pack document taken',
        );
      }
      if (result.outcome === 'updated') this.#emit('updated', { ...out, origin });
      return out;
    }

    status(nowMs = clock.now()): DocumentKeeperStatus {
      const inForce = inForceAt(nowMs);
      return {
        calendar: {
          documentVersion: calendarSlot.latest()?.version ?? null,
          calendarVersion: calendar.version,
          officialYears: calendar.officialYears,
        },
        policy: {
          inForce: policyVersionOf(inForce?.content.pack ?? basePack),
          documentVersion: inForce?.version ?? null,
          staged: policySlot
            .held()
            .filter((d) => d.content.effectiveFrom > nowMs)
            .map((d) => ({
              version: d.version,
              policyVersion: policyVersionOf(d.content.pack),
              effectiveFrom: new Date(d.content.effectiveFrom).toISOString(),
            })),
        },
        refusals: [...refusals.values()].map((r) => ({ ...r })),
      };
    }

    // A throwing listener is the listener's bug; it must not undo a document taken.
    #emit<K extends keyof DocumentKeeperEventMap>(name: K, ...args: DocumentKeeperEventMap[K]): void {
      try {
        (this.emit as (name: K, ...args: DocumentKeeperEventMap[K]) => boolean)(name, ...args);
      } catch (error) {
        logger.error({ event: name, err: String(error) }, 'document keeper listener threw');
      }
    }
  }

  return new Keeper();
}
