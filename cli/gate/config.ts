import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { isSpkiPin, platformTransportKind, platformUrlProblem } from '../../sdk/credit/platform-transport.js';
import { SCENE_IDS } from '../../sdk/domain/scenes.js';
import { XinyiError } from '../../sdk/errors.js';
import { type ConfigProblem, configPathOf, configProblemsError, readJsonFile } from '../../sdk/json-file.js';
import { decodeKeyFile } from '../../sdk/key-file.js';

/**
 * The gate daemon's configuration file (`xinyi gate --config gate.json`). Secrets are never written
 * in it: `{ "env": "NAME" }` or `{ "file": "path" }` point at them. Relative paths are relative to
 * the configuration file.
 */

/** How a secret is written in the configuration, for the messages that refuse one. */
export const SECRET_REF_FORMS = '{ "file": "path" }, { "env": "NAME" } or { "value": "…" }';

const secretRef = z.union(
  [
    z.strictObject({ env: z.string().min(1) }),
    z.strictObject({ file: z.string().min(1) }),
    z.strictObject({ value: z.string().min(1) }),
  ],
  {
    // zod's own words here are "Invalid input": say what a secret reference looks like instead.
    error: (issue) =>
      issue.input === undefined
        ? `is missing: give the secret as ${SECRET_REF_FORMS}`
        : typeof issue.input === 'string'
          ? `is a plain string: a secret is never written in the configuration as text; give it as ${SECRET_REF_FORMS}`
          : `is not a secret reference: give exactly one of ${SECRET_REF_FORMS}`,
  },
);
export type SecretRef = z.infer<typeof secretRef>;

const port = z.number().int().min(0).max(65_535);
const positiveMs = z.number().int().positive().max(3_600_000);
const byteCount = z
  .number()
  .int()
  .positive()
  .max(2 ** 32);

const serialLink = z.strictObject({
  serial: z.strictObject({
    path: z.string().min(1),
    baudRate: z.number().int().positive().optional(),
    parity: z.enum(['none', 'even', 'odd']).optional(),
  }),
});
const tcpLink = z.strictObject({ tcp: z.strictObject({ host: z.string().min(1), port: port.min(1) }) });
const udpLink = z.strictObject({
  udp: z.strictObject({ host: z.string().min(1), port: port.min(1), localPort: port.optional() }),
});

const streamLink = z.union([serialLink, tcpLink]);

const readerCommon = { name: z.string().min(1).optional(), pollIntervalMs: positiveMs.optional() };
// Strict objects, not `streamLink.and(...)`: an intersection silently drops a misspelt key.
const idCardReader = z.union([
  z.strictObject({ ...serialLink.shape, ...readerCommon }),
  z.strictObject({ ...tcpLink.shape, ...readerCommon }),
]);

const scanner = z.union([
  z.strictObject({
    type: z.literal('serial'),
    name: z.string().min(1).optional(),
    link: streamLink,
    dedupWindowMs: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    type: z.literal('hid'),
    name: z.string().min(1).optional(),
    vendorId: z.number().int().min(0).max(0xffff).optional(),
    productId: z.number().int().min(0).max(0xffff).optional(),
    path: z.string().min(1).optional(),
    mode: z.enum(['hid-pos', 'keyboard-wedge']).optional(),
    dedupWindowMs: z.number().int().min(0).optional(),
  }),
]);

const gateCommon = {
  name: z.string().min(1).optional(),
  pollIntervalMs: positiveMs.optional(),
};

const gate = z.discriminatedUnion('protocol', [
  z.strictObject({
    protocol: z.literal('aa-frame'),
    link: z.union([serialLink, tcpLink, udpLink]),
    /** The gate's address for status queries. */
    address: z.number().int().min(1).max(255).optional(),
    ...gateCommon,
  }),
  z.strictObject({
    protocol: z.literal('flap-7e'),
    link: streamLink,
    machine: z.number().int().min(0).max(255).optional(),
    ...gateCommon,
  }),
  z.strictObject({
    protocol: z.literal('modbus-relay'),
    link: streamLink,
    unitId: z.number().int().min(1).max(247).optional(),
    entryCoil: z.number().int().min(0).max(65_535).optional(),
    exitCoil: z.number().int().min(0).max(65_535).optional(),
    pulseMs: positiveMs.optional(),
    entrySensorInput: z.number().int().min(0).max(65_535).optional(),
    exitSensorInput: z.number().int().min(0).max(65_535).optional(),
    ...gateCommon,
  }),
]);

const redisNode = z.strictObject({ host: z.string().min(1), port: port.min(1) });
const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only (at most 64)');

/** Options every shared site store takes: the lane's budget and what it does when the store is down. */
const siteLane = {
  /** Each store call's own budget within the decision. */
  budgetMs: z.number().int().positive().max(5_000).optional(),
  onSiteStateDown: z.enum(['local', 'deny-capped']).optional(),
  /** A pending opening lapses after this; default the lane's passage timeout plus 5 s. */
  reservationTtlMs: positiveMs.optional(),
};

/**
 * Where the state the site's lanes share is kept (docs/gates.md §7): `local` (this daemon only), a
 * SQLite file every daemon of the host opens, or Redis for lanes on several hosts.
 */
const site = z.union([
  z.literal('local'),
  z.strictObject({ sqlite: z.string().min(1), ...siteLane }),
  z.strictObject({
    redis: z.union([
      z.strictObject({
        url: z.union([
          z
            .string()
            .min(1)
            .refine(
              (u) => URL.canParse(u) && /^rediss?:$/.test(new URL(u).protocol),
              'must be a redis:// or rediss:// URL',
            )
            .refine(
              (u) => !URL.canParse(u) || new URL(u).password === '',
              'holds a password: give the URL as a secret ({ "env" } or { "file" }) or the password as site.password',
            ),
          secretRef,
        ]),
      }),
      z.strictObject({
        sentinel: z.strictObject({
          sentinels: z.array(redisNode).min(1),
          name: z.string().min(1),
          sentinelPassword: secretRef.optional(),
          db: z.number().int().min(0).max(15).optional(),
        }),
      }),
      z.strictObject({ cluster: z.strictObject({ nodes: z.array(redisNode).min(1) }) }),
    ]),
    username: z.string().min(1).optional(),
    password: secretRef.optional(),
    tls: z.boolean().optional(),
    keyPrefix,
    cityKeyPrefix: keyPrefix.optional(),
    ...siteLane,
  }),
]);
export type SiteConfig = z.infer<typeof site>;

export const gateConfigSchema = z.strictObject({
  terminalId: z.string().min(1).max(64),
  scene: z.enum(SCENE_IDS as unknown as [string, ...string[]]).default('scenic-gate'),
  context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  pseudonymKey: secretRef,
  /**
   * `default` (the Qingzhou pack), a policy pack JSON file, or — with `publicKey` — a signed
   * policy-pack document (docs/policy-packs.md) verified with that key, over the default pack.
   */
  policy: z
    .union([
      z.literal('default'),
      z.strictObject({ file: z.string().min(1), publicKey: secretRef.optional() }),
    ])
    .default('default'),
  /**
   * A signed holiday-calendar document (docs/policy-packs.md) and the key that verifies it, for a lane
   * without a platform; re-read when the file changes.
   */
  calendar: z.strictObject({ file: z.string().min(1), publicKey: secretRef }).optional(),
  /** How often the document files (`calendar`, a signed `policy`, `xinyi … import`) are checked for a change. */
  documents: z.strictObject({ checkIntervalMs: positiveMs.optional() }).default({}),
  decisionDeadlineMs: z.number().int().positive().max(60_000).optional(),
  /** Where the journal, the snapshot and the cached lists live. */
  dataDir: z.string().min(1),
  devices: z.strictObject({
    idCardReader: idCardReader.optional(),
    scanners: z.array(scanner).default([]),
    gate,
  }),
  lane: z
    .strictObject({
      direction: z.enum(['entry', 'exit']).default('entry'),
      passageTimeoutMs: positiveMs.optional(),
      repeatWindowMs: z.number().int().min(0).max(3_600_000).optional(),
      antiPassback: z.boolean().default(false),
    })
    .default({ direction: 'entry', antiPassback: false }),
  site: site.default('local'),
  platform: z
    .strictObject({
      /** `https://`; `http://` only to a loopback host, or with `allowInsecureHttp`. */
      baseUrl: z.string().url(),
      /** Plain http to a host beyond loopback; health and doctor report it. */
      allowInsecureHttp: z.boolean().optional(),
      /** A PEM file of the CA certificates trusted for the platform instead of the system roots. */
      caFile: z.string().min(1).optional(),
      /** SPKI SHA-256 pins (base64) of the keys the platform may present. */
      spkiSha256Pins: z
        .array(z.string().refine(isSpkiPin, 'must be a base64 SHA-256 digest (44 characters)'))
        .min(1)
        .optional(),
      keyId: z.string().min(1),
      secret: secretRef,
      /** The platform source's own budget within the decision deadline. */
      timeoutMs: positiveMs.optional(),
      /** Ed25519 root key that signs the credit-code trust list (PEM, or a file). */
      trustRootPublicKey: secretRef,
      /** Ed25519 keys that sign snapshots (PEM, or files). */
      snapshotPublicKeys: z.array(secretRef).min(1),
      syncIntervalMs: positiveMs.optional(),
      statusListIntervalMs: positiveMs.optional(),
      /**
       * A status list older than this makes credit codes grant nothing (STATUS_STALE).
       * @default 86400000 (24 h, DEFAULT_MAX_STATUS_AGE_MS)
       */
      maxStatusAgeMs: z
        .number()
        .int()
        .positive()
        .max(7 * 86_400_000)
        .optional(),
      /** The lowest trust-list version this terminal accepts (raise it when a key is withdrawn). */
      minTrustListVersion: z.number().int().min(0).optional(),
      /** Byte limits per kind of platform answer (docs/platform-api.md, "Byte limits"). */
      maxResponseBytes: z
        .strictObject({
          lookup: byteCount.optional(),
          upload: byteCount.optional(),
          trustList: byteCount.optional(),
          statusList: byteCount.optional(),
          snapshot: byteCount.optional(),
          delta: byteCount.optional(),
          calendar: byteCount.optional(),
          policyPack: byteCount.optional(),
          document: byteCount.optional(),
        })
        .optional(),
    })
    .superRefine((platform, ctx) => {
      const problem = platformUrlProblem(platform.baseUrl, platform.allowInsecureHttp === true);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: problem });
      const https = platformTransportKind(platform.baseUrl) === 'https';
      if (!https && platform.caFile !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['caFile'], message: 'needs an https:// baseUrl' });
      }
      if (!https && platform.spkiSha256Pins !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['spkiSha256Pins'], message: 'needs an https:// baseUrl' });
      }
    })
    .optional(),
  journal: z
    .strictObject({
      retentionDays: z
        .strictObject({
          decisions: z.number().int().positive().optional(),
          disclosures: z.number().int().positive().optional(),
          events: z.number().int().positive().optional(),
          usage: z.number().int().positive().optional(),
        })
        .optional(),
      uploadBatchSize: z.number().int().min(1).max(1000).optional(),
      uploadIntervalMs: positiveMs.optional(),
      backlogAlarmThreshold: z.number().int().positive().optional(),
      /** While `journal-unavailable` is on, how often a write probe looks whether it can end. */
      probeIntervalMs: z.number().int().min(10).max(3_600_000).optional(),
    })
    .default({}),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(9464),
      /** Host names (besides loopback and `host`) the port answers to; others get 421 (DNS rebinding). */
      allowedHosts: z.array(z.string().min(1)).optional(),
    })
    .default({ host: '127.0.0.1', port: 9464 }),
  /** Run even when a secret file is readable by group or others (a warning instead of a refusal). */
  allowInsecureSecretFiles: z.boolean().default(false),
  log: z
    .strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') })
    .default({ level: 'info' }),
  /**
   * For simulations and tests only: the daemon's clock starts at this instant and runs at normal
   * speed (a holiday can be rehearsed on a working day).
   */
  clock: z.strictObject({ startAt: z.string().datetime({ offset: true }) }).optional(),
});

export type GateConfig = z.infer<typeof gateConfigSchema>;

/** A browser POS page's origin: scheme, host and port, nothing else (`http://127.0.0.1:8080`). */
const origin = z
  .string()
  .refine(
    (o) => URL.canParse(o) && /^https?:$/.test(new URL(o).protocol) && new URL(o).origin === o,
    'must be an origin: http(s)://host[:port], without a path or a trailing slash',
  );

/**
 * `xinyi serve`'s configuration (docs/serve.md): the gate daemon's, without the gate and the lane,
 * with the local API's own section. Validated, and its secrets resolved, as the gate daemon's are.
 */
export const serveConfigSchema = gateConfigSchema.omit({ devices: true, lane: true }).extend({
  scene: z.enum(SCENE_IDS as unknown as [string, ...string[]]).default('supermarket-checkout'),
  devices: z
    .strictObject({ idCardReader: idCardReader.optional(), scanners: z.array(scanner).default([]) })
    .default({ scanners: [] }),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(9465),
      allowedHosts: z.array(z.string().min(1)).optional(),
    })
    .default({ host: '127.0.0.1', port: 9465 }),
  api: z.strictObject({
    /** The bearer token every call must carry: a file only its owner may read (0600). */
    tokenFile: z.string().min(1),
    /** Origins of browser POS pages allowed to call the API (CORS); none by default. */
    allowedOrigins: z.array(origin).default([]),
    /** The largest request body accepted. */
    maxBodyBytes: z.number().int().min(1_024).max(1_048_576).default(16_384),
    /** Events kept for clients that reconnect with their last sequence number. */
    eventBufferSize: z.number().int().min(16).max(100_000).default(1_024),
    /** The longest a `present` call may wait for the next tap or scan. */
    maxWaitMs: z.number().int().positive().max(600_000).default(120_000),
    /** How long an idempotency key is honoured (a retry after this is a new request). */
    idempotencyTtlMs: z
      .number()
      .int()
      .positive()
      .max(7 * 86_400_000)
      .default(86_400_000),
    /** Event stream clients (WebSocket and SSE together) served at once. */
    maxEventClients: z.number().int().min(1).max(1_000).default(32),
  }),
});

export type ServeConfig = z.infer<typeof serveConfigSchema>;

/** What a terminal host needs of either configuration (the gate daemon's or `xinyi serve`'s). */
export type TerminalHostConfig = Omit<GateConfig, 'devices' | 'lane' | 'scene'> & {
  scene: string;
  /** The gate daemon's configuration has its gate here too: the host locks and checks its link. */
  devices: Omit<GateConfig['devices'], 'gate'> & { gate?: GateConfig['devices']['gate'] };
  lane?: GateConfig['lane'];
};

function configError(message: string, details?: Record<string, string>): XinyiError {
  return new XinyiError('CONFIG_INVALID', message, details ? { details } : {});
}

/**
 * Inside a union (a link, a secret reference) zod reports only "Invalid input" at the union; the
 * branch whose keys the value has (the others report them unrecognised) names the field itself.
 */
function innermostIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union') {
    const fitting = issue.errors.filter(
      (branch) => !branch.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0),
    );
    const first = fitting.length === 1 ? fitting[0]![0] : undefined;
    if (first !== undefined) {
      const inner = innermostIssue(first);
      return { path: [...issue.path, ...inner.path], message: inner.message };
    }
  }
  return { path: issue.path, message: issue.message };
}

/** Every problem of a parsed configuration (empty when it is valid), in the order zod finds them. */
export function gateConfigProblems(value: unknown): ConfigProblem[] {
  const result = gateConfigSchema.safeParse(value);
  return result.success ? [] : problemsOf(result.error);
}

function problemsOf(error: z.ZodError): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const raw of error.issues) {
    const issue = innermostIssue(raw);
    const path = configPathOf(issue.path);
    const key = `${path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message: issue.message });
  }
  return problems;
}

export type { ConfigProblem };

/** `CONFIG_INVALID` listing every bad field by its path, or the parsed configuration. */
function parseWith<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw configProblemsError(source, problemsOf(result.error));
  return result.data;
}

/** Validates a parsed configuration; `CONFIG_INVALID` names the first bad field by its path. */
export function parseGateConfig(value: unknown, source = 'config'): GateConfig {
  return parseWith(gateConfigSchema, value, source);
}

/** Validates a parsed `xinyi serve` configuration, as `parseGateConfig` does. */
export function parseServeConfig(value: unknown, source = 'config'): ServeConfig {
  return parseWith(serveConfigSchema, value, source);
}

/** Reads, parses and validates a configuration file, resolving relative paths against its folder. */
export function loadGateConfig(file: string): { config: GateConfig; baseDir: string } {
  const parsed = readJsonFile(file, 'configuration file');
  const config = parseGateConfig(parsed, file);
  const baseDir = dirname(resolve(file));
  return { config, baseDir };
}

/** `loadGateConfig` for `xinyi serve`. */
export function loadServeConfig(file: string): { config: ServeConfig; baseDir: string } {
  const parsed = readJsonFile(file, 'configuration file');
  return { config: parseServeConfig(parsed, file), baseDir: dirname(resolve(file)) };
}

/** True for a configuration meant for `xinyi serve` (it has the `api` section), for `xinyi doctor`. */
export function isServeConfigValue(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'api' in value;
}

/** A path from the configuration, relative to its folder. */
export function configPath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The secret a reference points at; `CONFIG_INVALID` (naming the reference, never the value) when missing. */
export function readSecret(ref: SecretRef, baseDir: string, what: string): string {
  if ('value' in ref) return ref.value;
  if ('env' in ref) return readEnv(ref.env, what);
  try {
    return readFileSync(configPath(baseDir, ref.file), 'utf8').trim();
  } catch (cause) {
    throw unreadable(ref.file, what, cause);
  }
}

/**
 * The bytes of a key secret (the pseudonym key, the platform secret), decoded by the key-file rules
 * of sdk/key-file.ts — `hex:…`, `base64:…` or raw bytes — from a file, a variable or an inline value
 * alike. `CONFIG_INVALID` naming the reference (never the value) when it is missing or malformed.
 */
export function readSecretBytes(ref: SecretRef, baseDir: string, what: string): Buffer {
  let content: Buffer | string;
  if ('value' in ref) content = ref.value;
  else if ('env' in ref) content = readEnv(ref.env, what);
  else {
    try {
      content = readFileSync(configPath(baseDir, ref.file));
    } catch (cause) {
      throw unreadable(ref.file, what, cause);
    }
  }
  try {
    return decodeKeyFile(content);
  } catch (cause) {
    const where = 'file' in ref ? ref.file : 'env' in ref ? `$${ref.env}` : 'the inline value';
    throw new XinyiError('CONFIG_INVALID', `${what}: ${where}: ${(cause as Error).message}`, {
      cause,
      details: { field: what },
    });
  }
}

function readEnv(name: string, what: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw configError(`${what}: environment variable ${name} is not set`, { field: what });
  }
  return value;
}

function unreadable(file: string, what: string, cause: unknown): XinyiError {
  const reason = String((cause as { code?: unknown } | null)?.code ?? 'unknown');
  return new XinyiError('CONFIG_INVALID', `${what}: cannot read ${file} (${reason})`, {
    cause,
    details: { field: what, reason },
  });
}

/** The configuration as safe to show: secret values replaced, references kept. */
export function redactConfig(config: TerminalHostConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (_key, value: unknown) =>
      value !== null && typeof value === 'object' && 'value' in value && Object.keys(value).length === 1
        ? { value: '[redacted]' }
        : value,
    ),
  );
}
