// Platform responses (lookup, upload and download bodies), and signed lookup answers.
import type { AxiosResponse } from 'axios';
import fc from 'fast-check';
import { MalformedBody, parseDownload, parseLookup, parseUpload } from '../../../sdk/credit/http-platform.js';
import {
  ANSWER_SIGNATURE_HEADER,
  type LookupQuestion,
  signLookupAnswer,
  verifyLookupAnswer,
} from '../../../sdk/credit/lookup-answer.js';
import type { CreditStanding } from '../../../sdk/domain/standing.js';
import { XinyiError } from '../../../sdk/errors.js';
import { damaged, type FuzzTarget, jsonish, mutatedJson, violation } from '../harness.js';
import { checkStanding, issuers, T0, toJsonText, trustLists } from './credit-fixtures.js';

function response(status: number, data: unknown, headers: Record<string, unknown> = {}): AxiosResponse {
  return { status, statusText: '', data, headers, config: {} } as unknown as AxiosResponse;
}

const validLookups = [
  { found: false, computedAt: '2026-06-01T09:00:00Z' },
  {
    found: true,
    computedAt: '2026-06-01T09:00:00+08:00',
    standing: { tier: 'AA', score: 812, lists: [{ kind: 'red' }, { kind: 'black', domain: 'tourism' }] },
  },
  { found: true, computedAt: '2026-06-01T09:00:00Z', standing: { tier: null, lists: [] } },
];
const validUploads = [
  { accepted: 3, duplicate: false },
  { accepted: 0, duplicate: true },
];

const platformBody = (valid: readonly unknown[]) =>
  fc.oneof(
    { weight: 4, arbitrary: mutatedJson(fc.constantFrom(...valid)).map(toJsonText) },
    { weight: 1, arbitrary: jsonish.map(toJsonText) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom(...valid).map((v) => toJsonText(v).slice(0, -1)) },
  );

type PlatformInput =
  | { kind: 'lookup'; body: string }
  | { kind: 'upload'; body: string }
  | { kind: 'download'; status: number; body: Uint8Array; headers: Record<string, unknown> };

/** The translation `createHttpPlatformResolver` applies at its boundary (a malformed body is CREDIT_UNAVAILABLE). */
function asPlatformError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof MalformedBody) {
      throw new XinyiError('CREDIT_UNAVAILABLE', `malformed response (${error.message})`, { cause: error });
    }
    throw error;
  }
}

export const platformResponse: FuzzTarget<PlatformInput, unknown> = {
  name: 'platform-response',
  input: 'platform lookup/upload bodies (mutated valid JSON, any JSON, cut, not JSON) and downloads',
  arbitrary: fc.oneof(
    fc.record({ kind: fc.constant('lookup' as const), body: platformBody(validLookups) }),
    fc.record({ kind: fc.constant('upload' as const), body: platformBody(validUploads) }),
    fc.record({
      kind: fc.constant('download' as const),
      status: fc.constantFrom(200, 204, 404),
      body: fc.uint8Array({ maxLength: 64 }),
      headers: fc.dictionary(
        fc.constantFrom('content-type', 'x-xinyi-computed-at', 'etag'),
        fc.oneof(fc.string(), jsonish),
        { maxKeys: 3 },
      ),
    }),
  ),
  codes: ['CREDIT_UNAVAILABLE'],
  run: (input) => {
    switch (input.kind) {
      case 'lookup':
        return asPlatformError(() => parseLookup(response(200, input.body)));
      case 'upload':
        return asPlatformError(() => parseUpload(response(200, input.body)));
      default:
        return asPlatformError(() =>
          parseDownload(response(input.status, new Uint8Array(input.body).buffer, input.headers)),
        );
    }
  },
  check: (output, input) => {
    if (input.kind === 'lookup') {
      if (output !== null) checkStanding(output as CreditStanding, 'platform');
    } else if (input.kind === 'upload') {
      const upload = output as { accepted: unknown; duplicate: unknown };
      if (!Number.isFinite(upload.accepted)) violation(`accepted is ${String(upload.accepted)}`);
      if (typeof upload.duplicate !== 'boolean') violation('duplicate not a boolean');
    } else if (output !== null) {
      const download = output as { bytes: unknown; contentType: unknown; computedAt?: unknown };
      if (!(download.bytes instanceof Uint8Array)) violation('download bytes not a Uint8Array');
      if (typeof download.contentType !== 'string') violation('contentType not a string');
    }
  },
  ciRuns: 2000,
};

// ---------------------------------------------------------------------------------------------
// Signed lookup answers: the answer-signature header and the verification of an answer

const answerQuestions: LookupQuestion[] = [
  {
    pseudonym: 'Yk2fQ0m9c8r1T3xW5vB7nA',
    scene: 'scenic-gate',
    terminalId: 'gate-7',
    nonce: '3q2-7wAAAAAAAAAAAAAAAA',
  },
  { pseudonym: 'AAAAAAAAAAAAAAAAAAAAAA', scene: 'library-kiosk', terminalId: '图书馆-1', nonce: 'n' },
];
/** Each valid lookup body signed for each question, by each issuer's platform-response key. */
const signedAnswers = answerQuestions.flatMap((question) =>
  validLookups.flatMap((answer) =>
    (['Ed25519', 'ES256'] as const).map((alg) => {
      const body = Buffer.from(JSON.stringify(answer), 'utf8');
      const header = signLookupAnswer(question, body, {
        privateKey: issuers[alg].platformResponsePrivateKey,
        nowMs: T0,
      });
      return { alg, question, body, header };
    }),
  ),
);

type AnswerInput = {
  base: number;
  body: Uint8Array;
  header: unknown;
  question: LookupQuestion;
  nowOffsetMs: number;
};

/** A header with its fields edited: other kid, time or signature bytes, cut, doubled, reordered. */
const editedHeader = (header: string) =>
  fc.oneof(
    fc.constant(header),
    damaged(fc.constant(Buffer.from(header, 'latin1'))).map((b) => Buffer.from(b).toString('latin1')),
    fc.constantFrom(
      header.split(';').reverse().join(';'),
      `${header};${header}`,
      header.replace(/t=\d+/, 't=0'),
      header.replace(/t=\d+/, 't=999999999999'),
      header.replace(/kid=[0-9a-f]+/, 'kid=ffffffff'),
      header.toUpperCase(),
    ),
    fc.array(fc.constant(header), { minLength: 2, maxLength: 2 }),
    jsonish,
  );

const answerInput: fc.Arbitrary<AnswerInput> = fc.nat({ max: signedAnswers.length - 1 }).chain((base) => {
  const signed = signedAnswers[base]!;
  return fc.record({
    base: fc.constant(base),
    body: fc.oneof(
      { weight: 3, arbitrary: fc.constant(signed.body) },
      { weight: 2, arbitrary: damaged(fc.constant(signed.body)) },
      {
        weight: 1,
        arbitrary: mutatedJson(fc.constantFrom(...validLookups)).map((d) => Buffer.from(toJsonText(d))),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    ),
    header: fc.oneof(
      { weight: 3, arbitrary: editedHeader(signed.header) },
      { weight: 1, arbitrary: fc.constantFrom(...signedAnswers.map((a) => a.header)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
    ),
    question: fc.oneof(
      { weight: 3, arbitrary: fc.constant(signed.question) },
      {
        weight: 1,
        arbitrary: fc
          .record({
            field: fc.constantFrom('pseudonym', 'scene', 'terminalId', 'nonce' as const),
            value: fc.string({ maxLength: 24 }),
          })
          .map(({ field, value }) => ({ ...signed.question, [field]: value })),
      },
      { weight: 1, arbitrary: fc.constantFrom(...answerQuestions) },
    ),
    nowOffsetMs: fc.oneof(fc.constant(0), fc.integer({ min: -400_000, max: 400_000 })),
  });
});

export const signedAnswer: FuzzTarget<AnswerInput, CreditStanding | null> = {
  name: 'signed-lookup-answer',
  input: 'lookup answers with edited signature headers, damaged bodies, other questions and clocks',
  arbitrary: answerInput,
  codes: ['PLATFORM_RESPONSE_INVALID', 'CREDIT_UNAVAILABLE'],
  run: (input) => {
    const trustList = trustLists[signedAnswers[input.base]!.alg];
    verifyLookupAnswer({
      question: input.question,
      body: input.body,
      signatureHeader: input.header,
      trustList,
      nowMs: T0 + input.nowOffsetMs,
    });
    const body = Buffer.from(input.body).toString('utf8');
    return asPlatformError(() =>
      parseLookup(response(200, body, { [ANSWER_SIGNATURE_HEADER]: input.header })),
    );
  },
  check: (output, input) => {
    // Accepted means: exactly the bytes the platform signed, for exactly this question, in the window.
    const accepted = signedAnswers.filter(
      (a) =>
        Buffer.compare(a.body, Buffer.from(input.body)) === 0 &&
        a.question.pseudonym === input.question.pseudonym &&
        a.question.scene === input.question.scene &&
        a.question.terminalId === input.question.terminalId &&
        a.question.nonce === input.question.nonce,
    );
    if (accepted.length === 0) violation('an answer nobody signed for this question was accepted');
    if (Math.abs(input.nowOffsetMs) > 301_000) violation('an answer outside the time window was accepted');
    if (output !== null) checkStanding(output, 'platform');
  },
  ciRuns: 1000,
};
