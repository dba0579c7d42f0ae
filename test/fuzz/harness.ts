import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { isXinyiError, type XinyiErrorCode } from '../../sdk/errors.js';

/** A case slower than this is a failure: every target does microseconds to milliseconds of work. */
export const CASE_TIME_LIMIT_MS = 1000;

/**
 * One decoder or parser that takes outside input, as the fuzzer drives it.
 *
 * The invariant every target shares: `run` returns a valid result or a typed `XinyiError` (returned
 * or thrown, with one of `codes`), never an untyped throw, within `CASE_TIME_LIMIT_MS`. `check`
 * states what "valid" means for the target's result, including the bound on any state it buffers.
 */
export interface FuzzTarget<I = unknown, O = unknown> {
  name: string;
  /** What is fed in, in a few words. */
  input: string;
  arbitrary: fc.Arbitrary<I>;
  /** Codes the target may throw or return in its result. */
  codes: readonly XinyiErrorCode[];
  /** Called once before the first case (keys, stores). */
  setup?: () => Promise<void>;
  /** Called once after the last case. */
  teardown?: () => void;
  run(input: I): O | Promise<O>;
  /** Throws a `FuzzViolation` when `output` is not a valid result for `input`. */
  check(output: O, input: I): void;
  /** Cases in the CI run (test/fuzz/fuzz.test.ts). */
  ciRuns: number;
}

/** A broken invariant: what the fuzzer reports, with the counterexample fast-check attaches. */
export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

export function violation(message: string): never {
  throw new FuzzViolation(message);
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return `a non-Error value (${typeof error}): ${String(error)}`;
}

/** Checks that `value` is a typed error with one of `codes`. */
export function expectTyped(value: unknown, codes: readonly XinyiErrorCode[], where: string): void {
  if (!isXinyiError(value)) violation(`${where}: untyped ${describeThrown(value)}`);
  if (!codes.includes(value.code)) violation(`${where}: XinyiError with unexpected code ${value.code}`);
}

/** Runs one case and applies the shared invariant, then the target's own check. */
export async function fuzzCase<I, O>(target: FuzzTarget<I, O>, input: I): Promise<void> {
  const started = performance.now();
  let output: O | undefined;
  let thrown: unknown;
  let threw = false;
  try {
    const result = target.run(input);
    output = result instanceof Promise ? await result : result;
  } catch (error) {
    threw = true;
    thrown = error;
  }
  const elapsedMs = performance.now() - started;
  if (elapsedMs > CASE_TIME_LIMIT_MS) {
    violation(`${target.name}: one case took ${elapsedMs.toFixed(0)} ms (limit ${CASE_TIME_LIMIT_MS} ms)`);
  }
  if (threw) {
    expectTyped(thrown, target.codes, `${target.name} threw`);
    return;
  }
  target.check(output as O, input);
}

/** The property fast-check runs for a target. */
export function fuzzProperty<I, O>(target: FuzzTarget<I, O>): fc.IAsyncPropertyWithHooks<[I]> {
  return fc.asyncProperty(target.arbitrary, (input) => fuzzCase(target, input));
}

// ---------------------------------------------------------------------------------------------
// Result checks

export function expectInteger(value: unknown, min: number, max: number, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    violation(`${what} is ${String(value)}, not an integer in ${min}..${max}`);
  }
}

export function expectIsoTime(value: unknown, what: string): void {
  if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) {
    violation(`${what} is not a time: ${String(value)}`);
  }
}

export function expectOneOf<T>(value: unknown, allowed: readonly T[], what: string): void {
  if (!allowed.includes(value as T))
    violation(`${what} is ${String(value)}, not one of ${allowed.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Byte streams

/** Concatenates chunks. */
export function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** Cuts `bytes` at the (deduplicated, sorted) points, each taken modulo the length + 1. */
export function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of sorted) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** A well-formed frame changed the way line noise and bugs change them. */
export function damaged(frame: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      frame,
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
      op: fc.constantFrom('flip', 'set', 'cut', 'drop', 'insert', 'double'),
    })
    .map(({ frame: f, at, value, op }) => {
      const b = Buffer.from(f);
      if (b.length === 0) return b;
      const i = at % b.length;
      switch (op) {
        case 'flip':
          b[i] = b[i]! ^ (value || 1);
          return b;
        case 'set':
          b[i] = value;
          return b;
        case 'cut':
          return b.subarray(0, i);
        case 'drop':
          return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
        case 'insert':
          return Buffer.concat([b.subarray(0, i), Buffer.of(value), b.subarray(i)]);
        default:
          return Buffer.concat([b.subarray(0, i), b]);
      }
    });
}

export interface StreamOptions {
  /** Well-formed frames of the protocol. */
  frames: fc.Arbitrary<Uint8Array>;
  /** Bytes that start or delimit frames: noise is biased towards them to reach the resync paths. */
  special: readonly number[];
  /** Longest flood (one short pattern repeated), to push buffered state to its bound. */
  maxFloodBytes: number;
  maxPieces?: number;
}

/** A stream of well-formed, damaged and garbage pieces, and floods, cut into chunks anywhere. */
export function byteStream(options: StreamOptions): fc.Arbitrary<Uint8Array[]> {
  const special = fc.constantFrom(...options.special);
  const noiseByte = fc.oneof(fc.integer({ min: 0, max: 255 }), special);
  const piece = fc.oneof(
    { weight: 4, arbitrary: options.frames },
    { weight: 3, arbitrary: damaged(options.frames) },
    { weight: 3, arbitrary: fc.array(noiseByte, { maxLength: 48 }).map((a) => Uint8Array.from(a)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 4 }), options.frames),
          fc.integer({ min: 0, max: options.maxFloodBytes }),
        )
        .map(([pattern, bytes]) => {
          if (pattern.length === 0) return pattern;
          const out = Buffer.alloc(bytes);
          for (let i = 0; i < bytes; i += pattern.length) out.set(pattern.subarray(0, bytes - i), i);
          return out;
        }),
    },
  );
  return fc
    .tuple(fc.array(piece, { maxLength: options.maxPieces ?? 10 }), fc.array(fc.nat(), { maxLength: 10 }))
    .map(([pieces, points]) => cut(concat(pieces), points));
}

// ---------------------------------------------------------------------------------------------
// JSON documents

/** Keys that break naive object handling. */
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', ''];

/** Values at the edges of what JSON.parse can produce. */
const EDGE_VALUES: readonly unknown[] = [
  null,
  0,
  -0,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  -1e308,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '',
  ' ',
  '0',
  'NaN',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00.001Z',
  'x'.repeat(300),
  true,
  false,
  [],
  {},
  [null],
  { '': null },
];

/** A JSON-like value: fast-check's, edge values, nasty keys. Infinity stands in for `1e999` in a JSON text. */
export const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: fc.constantFrom(...EDGE_VALUES) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string()), tie('value'), {
        maxKeys: 4,
      }),
    },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
  ),
})).value;

/** What a mutation does at the node it picks. */
type JsonMutation =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown }
  | { op: 'tweak'; at: number; delta: number }
  | { op: 'retype'; at: number }
  | { op: 'duplicate'; at: number };

const mutationArb: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: jsonish }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 8 })),
    value: jsonish,
  }),
  fc.record({
    op: fc.constant('tweak' as const),
    at: fc.nat(),
    delta: fc.constantFrom(-1, 1, 0.5, -1e9, 1e9, 2 ** 32, 2 ** 53),
  }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
);

interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

function slotsOf(root: unknown): Slot[] {
  const slots: Slot[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        slots.push({ parent: node, key: i });
        walk(child);
      });
    } else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        slots.push({ parent: node as Record<string, unknown>, key });
        walk((node as Record<string, unknown>)[key]);
      }
    }
  };
  walk(root);
  return slots;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // A JSON text with a "__proto__" key gives an own property of that name, not a new prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyMutation(root: { doc: unknown }, m: JsonMutation): void {
  const slots = slotsOf(root);
  const slot = slots[m.at % slots.length]!;
  const { parent, key } = slot;
  const current = (parent as Record<string | number, unknown>)[key];
  // Generated values may share instances (constants, shrunk values): copy before inserting, so a
  // document never contains itself and the constants are never changed.
  const value = 'value' in m ? structuredClone(m.value) : undefined;
  const put = (v: unknown) => {
    if (Array.isArray(parent)) parent[key as number] = v;
    else setOwn(parent, key as string, v);
  };
  switch (m.op) {
    case 'replace':
      put(value);
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else if (parent !== root) delete parent[key as string];
      break;
    case 'add':
      if (Array.isArray(current)) current.push(value);
      else if (current !== null && typeof current === 'object')
        setOwn(current as Record<string, unknown>, m.key, value);
      else put(value);
      break;
    case 'tweak':
      if (typeof current === 'number') put(current + m.delta);
      else if (typeof current === 'string') put(current.slice(0, Math.max(0, current.length - 1)));
      else put(m.delta);
      break;
    case 'retype':
      put(
        typeof current === 'number'
          ? String(current)
          : typeof current === 'string' && current !== '' && Number.isFinite(Number(current))
            ? Number(current)
            : Array.isArray(current)
              ? { ...current }
              : current !== null && typeof current === 'object'
                ? Object.values(current)
                : [current],
      );
      break;
    default:
      if (Array.isArray(current) && current.length > 0) current.push(structuredClone(current[0]));
      else put(structuredClone(current));
  }
}

/** A valid document changed by one to four mutations at nodes anywhere in it. */
export function mutatedJson(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 4 })).map(([doc, mutations]) => {
    const root = { doc: structuredClone(doc) };
    for (const m of mutations) applyMutation(root, m);
    return root.doc;
  });
}

/** A JSON value as a platform or a file would deliver it: round-tripped through a JSON text. */
export function viaJsonText(value: unknown): unknown {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : JSON.parse(text);
}
