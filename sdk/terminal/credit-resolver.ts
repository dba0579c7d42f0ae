import type { SceneId } from '../domain/scenes.js';
import type { CreditStanding } from '../domain/standing.js';
import type { Subject } from '../identity/index.js';

/**
 * One lookup of a subject's standing. It carries the purpose (scene, terminal) with it, as
 * purpose-bound platform lookups require, and only the pseudonymous subject: never a raw ID number.
 */
export interface CreditLookup {
  /** Absent when the credential itself carries the standing (a signed credit code). */
  subject?: Subject;
  /** The scanned text of a signed credit code; present only for credit-code credentials. */
  creditCodeText?: string;
  scene: SceneId;
  terminalId: string;
  /** Aborted when the decision deadline passes; a resolver should stop its I/O then. */
  signal: AbortSignal;
  /** Epoch milliseconds by which the decision must be made. */
  deadlineAt: number;
}

/**
 * A source of credit standings. The terminal asks its resolvers in order and uses the first
 * standing returned: typically a verified credit code, then the platform, then the offline snapshot.
 */
export interface CreditResolver {
  /** Used in events and logs ('platform', 'snapshot', ...). */
  readonly name: string;
  /**
   * Longest this source may take for one lookup; after it the terminal marks the source offline and
   * asks the next one. Without it the source may use whatever remains of the decision deadline.
   */
  readonly timeoutMs?: number;
  /**
   * The subject's standing, or null when this source does not know the subject (the next one is asked).
   * Throw an `XinyiError` when the source failed (unreachable, unauthorised); the terminal reports it,
   * marks the source offline and asks the next one. A resolver still running at the deadline is
   * abandoned: its late answer is ignored.
   */
  resolve(lookup: CreditLookup): Promise<CreditStanding | null>;
}
