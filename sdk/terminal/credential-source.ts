import type { Credential } from '../domain/credential.js';

/**
 * A device that produces credentials by itself: an ID-card reader, a scanner. Attach it with
 * `terminal.attach(source)` and every credential it reads is presented automatically.
 */
export interface CredentialSource {
  /** Used in `device` events and logs. */
  readonly name: string;
  /** Calls `listener` for every credential read; returns a function that unsubscribes. */
  onCredential(listener: (credential: Credential) => void): () => void;
  /** Calls `listener` on every device state change (`ready`, `reconnecting`, …); returns an unsubscribe function. */
  onState?(listener: (state: string, reason?: string) => void): () => void;
}
