import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import type { Clock } from '../clock.js';
import { isXinyiError, XinyiError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  type DocumentKeys,
  type DocumentKind,
  documentError,
  type SignedDocument,
  SignedDocumentProblem,
  type VerifiedDocument,
  verifyDocument,
} from './signed-document.js';

/** Where a document came from (logged, and kept with a refusal). */
export type DocumentOrigin = 'platform' | 'file' | 'cache';

export interface DocumentSlotOptions<T> {
  kind: DocumentKind<T>;
  /** Consulted at every verification (make it read the current trust list: it changes). */
  keys: DocumentKeys;
  clock: Clock;
  logger: Logger;
  /** The held documents are kept here (written atomically) and re-verified when the slot is created. */
  cacheFile?: string;
  /** Read `cacheFile` but never write it (a command beside the process that owns it). @default false */
  cacheReadOnly?: boolean;
  /**
   * Which of the held documents (ascending by version, the newest last) stay held. The newest always
   * does. @default the newest only
   */
  retain?: (held: readonly VerifiedDocument<T>[], nowMs: number) => readonly VerifiedDocument<T>[];
  /** A last check with what the slot cannot see (throws a typed error to refuse). */
  check?: (document: VerifiedDocument<T>) => void;
}

export interface DocumentAcceptResult {
  /** `stale`: an older version read again passively (a file checked at start); nothing changed. */
  outcome: 'updated' | 'unchanged' | 'stale';
  version: number;
  /** The newest version held before, when there was one. */
  previousVersion?: number;
}

export interface DocumentSlot<T> {
  readonly kind: DocumentKind<T>;
  /** Held documents, ascending by version; empty before the first. */
  held(): readonly VerifiedDocument<T>[];
  latest(): VerifiedDocument<T> | undefined;
  /**
   * Verifies a document and, when it is newer than every one held, takes it and writes the cache.
   * One at a time: concurrent calls are queued. A refused document changes nothing and is thrown:
   * `DOCUMENT_INVALID` (`ROLLBACK` for a lower version, `CONFLICT` for the held version with another
   * content) or the kind's content error. With `passive`, an older version is `stale`, not a refusal.
   */
  accept(
    input: Uint8Array | string,
    origin: DocumentOrigin,
    options?: { passive?: boolean },
  ): Promise<DocumentAcceptResult>;
  /** Drops held documents the `retain` rule no longer keeps (a staged document took effect). */
  prune(nowMs: number): void;
}

interface CacheFile {
  documents: SignedDocument[];
}

/**
 * Holds the documents of one kind: verified, versioned, never rolled back, cached on disk and
 * re-verified at creation (a cached document that no longer verifies — its key was withdrawn — is
 * dropped with a warning). The calendar and the policy pack each use one.
 */
export function createDocumentSlot<T>(options: DocumentSlotOptions<T>): DocumentSlot<T> {
  const { kind, clock, logger, cacheFile } = options;
  const retain = options.retain ?? ((held) => held.slice(-1));
  let held: VerifiedDocument<T>[] = [];
  let tail: Promise<unknown> = Promise.resolve();

  const verify = (input: Uint8Array | string): VerifiedDocument<T> => {
    const document = verifyDocument(input, kind, { keys: options.keys, now: clock.now() });
    options.check?.(document);
    return document;
  };

  const keep = (next: readonly VerifiedDocument<T>[]): void => {
    const kept = retain(next, clock.now());
    held = kept.includes(next.at(-1)!) ? [...kept] : [...kept, next.at(-1)!];
  };

  const persist = async (): Promise<void> => {
    if (cacheFile === undefined || options.cacheReadOnly === true) return;
    const body: CacheFile = { documents: held.map((d) => d.signed) };
    try {
      await writeFileAtomic(cacheFile, JSON.stringify(body));
    } catch (error) {
      // The document is in use all the same; only a restart without its source would miss it.
      logger.warn(
        { usage: kind.usage, errorCode: (error as NodeJS.ErrnoException).code ?? 'unknown' },
        'document cache could not be written',
      );
    }
  };

  const loadCache = (): void => {
    if (cacheFile === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(cacheFile, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn({ usage: kind.usage }, 'document cache unreadable; ignored');
      }
      return;
    }
    const documents = (body as Partial<CacheFile> | null)?.documents;
    if (!Array.isArray(documents)) {
      logger.warn({ usage: kind.usage }, 'document cache malformed; ignored');
      return;
    }
    const loaded: VerifiedDocument<T>[] = [];
    for (const signed of documents) {
      try {
        const document = verify(JSON.stringify(signed));
        if (loaded.length === 0 || document.version > loaded.at(-1)!.version) loaded.push(document);
      } catch (error) {
        logger.warn(
          {
            usage: kind.usage,
            code: isXinyiError(error) ? error.code : 'unknown',
            reason: isXinyiError(error) ? error.details.reason : undefined,
          },
          'cached document refused on re-verification; dropped',
        );
      }
    }
    if (loaded.length > 0) keep(loaded);
  };

  const acceptNow = async (
    input: Uint8Array | string,
    origin: DocumentOrigin,
    passive: boolean,
  ): Promise<DocumentAcceptResult> => {
    const document = verify(input);
    const newest = held.at(-1);
    if (newest !== undefined && document.version <= newest.version) {
      const same = held.find((d) => d.version === document.version);
      if (same !== undefined && same.signed.payload === document.signed.payload) {
        return { outcome: 'unchanged', version: document.version, previousVersion: newest.version };
      }
      if (passive && document.version < newest.version) {
        return { outcome: 'stale', version: document.version, previousVersion: newest.version };
      }
      if (same !== undefined || document.version === newest.version) {
        throw documentError(
          kind.usage,
          SignedDocumentProblem.CONFLICT,
          'version',
          `version ${document.version} is held with a different content`,
          { version: document.version, held: newest.version },
        );
      }
      throw documentError(
        kind.usage,
        SignedDocumentProblem.ROLLBACK,
        'version',
        `version ${document.version} is older than the one held (${newest.version})`,
        { version: document.version, held: newest.version },
      );
    }
    keep([...held, document]);
    logger.info(
      { usage: kind.usage, version: document.version, previousVersion: newest?.version, origin },
      'document taken',
    );
    await persist();
    return {
      outcome: 'updated',
      version: document.version,
      ...(newest === undefined ? {} : { previousVersion: newest.version }),
    };
  };

  loadCache();
  return {
    kind,
    held: () => held,
    latest: () => held.at(-1),
    accept(input, origin, acceptOptions = {}) {
      if (!(typeof input === 'string' || input instanceof Uint8Array)) {
        return Promise.reject(new XinyiError('INVALID_ARGUMENT', 'accept(): input must be bytes or text'));
      }
      const run = tail.then(() => acceptNow(input, origin, acceptOptions.passive === true));
      tail = run.catch(() => undefined);
      return run;
    },
    prune(nowMs) {
      if (held.length <= 1) return;
      const kept = retain(held, nowMs);
      if (kept.length === held.length) return;
      held = kept.includes(held.at(-1)!) ? [...kept] : [...kept, held.at(-1)!];
      void persist();
    },
  };
}
