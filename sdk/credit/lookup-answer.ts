import { createHash, type KeyObject } from 'node:crypto';
import { XinyiError } from '../errors.js';
import {
  keyIdOf,
  keyMatchesAlg,
  keyValidAt,
  signWithAlg,
  type TrustList,
  verifyWithAlg,
} from './trust-list.js';

/**
 * Signed lookup answers (docs/platform-api.md, "Signed answers"). The platform signs every answer to
 * `POST /v1/standings/lookup` with a key its trust list names for `platform-response`, over the
 * question it answers and the exact body bytes it sends:
 *
 * ```
 * xinyi-lookup-answer/1 LF pseudonym LF scene LF terminalId LF nonce LF t LF hex(SHA-256(body))
 * ```
 *
 * `nonce` is the `X-Xinyi-Nonce` of the request being answered (fresh per attempt), `t` the answer
 * time in Unix seconds. The signature travels in one response header:
 *
 * ```
 * X-Xinyi-Answer-Signature: kid=<8 lower-case hex>;t=<seconds>;sig=<base64 of 64 bytes>
 * ```
 *
 * Ed25519 signs the message bytes; ES256 signs their SHA-256 and is sent as IEEE P1363 r‖s, the
 * same encodings as every other signature of the trust list.
 */

export const ANSWER_SIGNATURE_HEADER = 'x-xinyi-answer-signature';
/** First line of the signed message: the purpose and version of the signature. */
export const LOOKUP_ANSWER_CONTEXT = 'xinyi-lookup-answer/1';
/** How far an answer's `t` may be from the terminal's clock, either way (the request-signing window). */
export const ANSWER_TIME_WINDOW_MS = 300_000;

/** What the terminal asked: the answer must be bound to exactly this. */
export interface LookupQuestion {
  pseudonym: string;
  scene: string;
  terminalId: string;
  /** The `X-Xinyi-Nonce` of the request (attempt) being answered. */
  nonce: string;
}

/** `details.reason` of a `PLATFORM_RESPONSE_INVALID` error. */
export const PlatformAnswerProblem = {
  /** The client holds no trust list, so it cannot verify any answer (it does not ask). */
  NO_TRUST_LIST: 'NO_TRUST_LIST',
  /** No `X-Xinyi-Answer-Signature` header (stripped, or an unsigned platform). */
  SIGNATURE_MISSING: 'SIGNATURE_MISSING',
  /** The header is not `kid=…;t=…;sig=…` as specified (or was sent twice). */
  SIGNATURE_MALFORMED: 'SIGNATURE_MALFORMED',
  /** No `platform-response` key with this kid on the trust list. */
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  /** The key exists but its validity period does not cover the answer's time. */
  KEY_NOT_VALID: 'KEY_NOT_VALID',
  /**
   * The signature does not verify over this question and these body bytes: a body rewritten on
   * the way, or an answer to another question (another pseudonym, scene, terminal or request).
   */
  SIGNATURE: 'SIGNATURE',
  /** The answer's time is more than {@link ANSWER_TIME_WINDOW_MS} from the terminal's clock. */
  TIME: 'TIME',
} as const;
export type PlatformAnswerProblem = (typeof PlatformAnswerProblem)[keyof typeof PlatformAnswerProblem];

const HEADER_PATTERN = /^kid=([0-9a-f]{8});t=(\d{1,12});sig=([A-Za-z0-9+/]{86}==)$/;
/** Control characters would make the line-based message ambiguous; the platform refuses them too. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function answerInvalid(reason: PlatformAnswerProblem, message: string): XinyiError {
  return new XinyiError('PLATFORM_RESPONSE_INVALID', `platform answer refused: ${message}`, {
    details: { reason },
  });
}

/**
 * Throws `INVALID_ARGUMENT` for a question field that is empty or holds a control character (the
 * nonce is checked only when given).
 */
export function assertQuestionFields(question: Omit<LookupQuestion, 'nonce'> & { nonce?: string }): void {
  for (const field of ['pseudonym', 'scene', 'terminalId', 'nonce'] as const) {
    const value = question[field];
    if (field === 'nonce' && value === undefined) continue;
    if (typeof value !== 'string' || value === '' || hasControlCharacter(value)) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `lookup ${field} must be a non-empty string without control characters`,
        { details: { field } },
      );
    }
  }
}

/** The exact bytes that are signed: seven lines joined by LF, no trailing LF, UTF-8. */
export function lookupAnswerMessage(question: LookupQuestion, t: number, body: Uint8Array): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return Buffer.from(
    [
      LOOKUP_ANSWER_CONTEXT,
      question.pseudonym,
      question.scene,
      question.terminalId,
      question.nonce,
      String(t),
      bodyHash,
    ].join('\n'),
    'utf8',
  );
}

export interface SignLookupAnswerOptions {
  /** A `platform-response` key of the trust list (Ed25519 or P-256). */
  privateKey: KeyObject;
  /** Epoch ms of the answer; sent as whole seconds. */
  nowMs: number;
}

/**
 * The platform side: the `X-Xinyi-Answer-Signature` value for `body` answering `question`.
 * Throws `INVALID_ARGUMENT` for a private key that is neither Ed25519 nor P-256.
 */
export function signLookupAnswer(
  question: LookupQuestion,
  body: Uint8Array,
  options: SignLookupAnswerOptions,
): string {
  const key = options.privateKey;
  const alg = keyMatchesAlg(key, 'Ed25519') ? 'Ed25519' : keyMatchesAlg(key, 'ES256') ? 'ES256' : null;
  if (key.type !== 'private' || alg === null) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      'signLookupAnswer(): the key must be an Ed25519 or P-256 private key',
    );
  }
  const t = Math.floor(options.nowMs / 1000);
  const signature = signWithAlg(alg, lookupAnswerMessage(question, t, body), key);
  let kid = KIDS.get(key);
  if (kid === undefined) {
    kid = keyIdOf(key);
    KIDS.set(key, kid);
  }
  return `kid=${kid};t=${t};sig=${signature.toString('base64')}`;
}

/** Deriving a kid exports the public key and hashes it (~0.3 ms): once per key, not per answer. */
const KIDS = new WeakMap<KeyObject, string>();

export interface AnswerSignature {
  kid: string;
  /** Unix seconds. */
  t: number;
  /** 64 bytes. */
  signature: Buffer;
}

/**
 * Reads an `X-Xinyi-Answer-Signature` value as Node hands it over (a string; an array for a header
 * sent twice). Throws `PLATFORM_RESPONSE_INVALID` (`SIGNATURE_MISSING`, `SIGNATURE_MALFORMED`).
 */
export function parseAnswerSignature(value: unknown): AnswerSignature {
  if (value === undefined || value === null || value === '') {
    throw answerInvalid(PlatformAnswerProblem.SIGNATURE_MISSING, 'the answer is not signed');
  }
  const match = typeof value === 'string' ? HEADER_PATTERN.exec(value) : null;
  if (match === null) {
    throw answerInvalid(
      PlatformAnswerProblem.SIGNATURE_MALFORMED,
      'the answer signature header is malformed',
    );
  }
  return { kid: match[1]!, t: Number(match[2]), signature: Buffer.from(match[3]!, 'base64') };
}

export interface VerifyLookupAnswerInput {
  /** The question as the client sent it, never as the answer claims it. */
  question: LookupQuestion;
  /** The exact body bytes received. */
  body: Uint8Array;
  /** The `X-Xinyi-Answer-Signature` header value. */
  signatureHeader: unknown;
  trustList: TrustList;
  /** The terminal's clock, epoch ms. */
  nowMs: number;
  /** @default ANSWER_TIME_WINDOW_MS */
  windowMs?: number;
}

/**
 * Checks that `body` is the platform's signed answer to `question`: the header parses, a
 * `platform-response` key of the trust list with its kid and a validity period covering `t`
 * verifies the signature over the question, `t` and the body, and `t` is within the window.
 * Returns the answer time (epoch ms). Throws `PLATFORM_RESPONSE_INVALID` with
 * `details.reason` one of {@link PlatformAnswerProblem}; never another error.
 */
export function verifyLookupAnswer(input: VerifyLookupAnswerInput): number {
  const parsed = parseAnswerSignature(input.signatureHeader);
  const candidates = input.trustList.keysFor(parsed.kid, 'platform-response');
  if (candidates.length === 0) {
    throw answerInvalid(
      PlatformAnswerProblem.UNKNOWN_KEY,
      'no platform-response key with this kid is trusted',
    );
  }
  const tMs = parsed.t * 1000;
  const valid = candidates.filter((k) => keyValidAt(k, tMs));
  if (valid.length === 0) {
    throw answerInvalid(
      PlatformAnswerProblem.KEY_NOT_VALID,
      'the signing key is outside its validity period',
    );
  }
  const message = lookupAnswerMessage(input.question, parsed.t, input.body);
  const verified = valid.some(
    (k) =>
      k.publicKey !== null && k.alg !== 'SM2' && verifyWithAlg(k.alg, message, parsed.signature, k.publicKey),
  );
  if (!verified) {
    throw answerInvalid(
      PlatformAnswerProblem.SIGNATURE,
      'the signature does not cover this question and body (rewritten, or an answer to another request)',
    );
  }
  // t has whole-second resolution: the answer happened somewhere in [tMs, tMs + 1000).
  const windowMs = input.windowMs ?? ANSWER_TIME_WINDOW_MS;
  if (tMs + 1000 < input.nowMs - windowMs || tMs > input.nowMs + windowMs) {
    throw answerInvalid(PlatformAnswerProblem.TIME, 'the answer time is outside the window');
  }
  return tMs;
}
