import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { XinyiError } from '../../sdk/errors.js';
import { createPseudonymizer, type Pseudonymizer } from '../../sdk/identity/index.js';
import type { Logger } from '../../sdk/logger.js';
import { configPath, readSecretBytes, type SecretRef, type TerminalHostConfig } from './config.js';

/**
 * The daemon's local data locked down (docs/gates.md §5): the data folder 0700, every file in it 0600
 * (the journal and its -wal/-shm, the snapshot — the whole population's pseudonyms and list
 * membership —, cached documents), and secret files readable by their owner only.
 */

/** The mode of the data folder and of every file the daemon writes. */
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/**
 * Creates the data folder 0700 (or tightens an existing one) and every file already in it (one level
 * of sub-folders: the document cache) to 0600, so files an older version wrote 0644 are closed too.
 * Files created later inherit the process umask, which the daemon sets to 077.
 */
export function lockDownDataDir(dataDir: string, shownAs: string, logger: Logger): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  } catch (cause) {
    throw new XinyiError('CONFIG_INVALID', `dataDir: cannot create ${shownAs}`, {
      cause,
      details: {
        field: 'dataDir',
        path: dataDir,
        reason: String((cause as { code?: unknown }).code ?? 'unknown'),
      },
    });
  }
  tighten(dataDir, DATA_DIR_MODE, logger);
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    const path = join(dataDir, entry.name);
    if (entry.isFile()) tighten(path, DATA_FILE_MODE, logger);
    else if (entry.isDirectory()) {
      tighten(path, DATA_DIR_MODE, logger);
      for (const inner of readdirSync(path, { withFileTypes: true })) {
        if (inner.isFile()) tighten(join(path, inner.name), DATA_FILE_MODE, logger);
      }
    }
  }
}

function tighten(path: string, mode: number, logger: Logger): void {
  try {
    const current = lstatSync(path).mode & 0o777;
    if ((current & ~mode) === 0) return;
    chmodSync(path, mode);
    logger.info({ path, from: octal(current), to: octal(mode) }, 'local data: permissions tightened');
  } catch (cause) {
    // Not ours (another user's folder): say so; the daemon still runs, doctor reports the mode.
    logger.warn(
      { path, reason: String((cause as { code?: unknown }).code ?? 'unknown') },
      'local data: cannot tighten permissions',
    );
  }
}

export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * Refuses a secret file that group or others may read (`CONFIG_INVALID` naming the file, its mode and
 * the fix), or with `allowInsecure` warns and goes on.
 */
export function checkSecretFileMode(
  path: string,
  what: string,
  options: { allowInsecure?: boolean; logger?: Logger } = {},
): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return; // reading it reports what is wrong (missing, no permission)
  }
  if ((mode & 0o077) === 0) return;
  const message = `${what}: ${path} is readable by group or others (mode ${octal(mode)}); run chmod 600 ${path}`;
  if (options.allowInsecure === true) {
    options.logger?.warn(
      { field: what, path, mode: octal(mode) },
      `${message} (allowed by allowInsecureSecretFiles)`,
    );
    return;
  }
  throw new XinyiError('CONFIG_INVALID', `${message}, or set allowInsecureSecretFiles: true to run anyway`, {
    details: { field: what, path, mode: octal(mode) },
  });
}

/**
 * The host names the daemon's HTTP port answers to: loopback names, the configured listen host and
 * `extra`. Anything else is refused with 421, so a web page cannot read `/diagnostics` through a DNS
 * name rebound to 127.0.0.1.
 */
export function allowedHostNames(listenHost: string, extra: readonly string[] = []): Set<string> {
  const names = new Set([
    'localhost',
    '127.0.0.1',
    '::1',
    listenHost.toLowerCase(),
    ...extra.map((h) => h.toLowerCase()),
  ]);
  return names;
}

/** The host name of a `Host` header without its port (`[::1]:9464` → `::1`); undefined when absent. */
export function hostHeaderName(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * Checks the mode of the configuration's secret files (the pseudonym key and the platform secret;
 * public keys are public), throwing for the first that group or others may read unless
 * `allowInsecureSecretFiles` is set. `xinyi gate`, `gate --check` and `xinyi doctor` run it.
 */
export function checkSecretFiles(config: TerminalHostConfig, baseDir: string, logger?: Logger): void {
  const refs: [string, SecretRef][] = [['pseudonymKey', config.pseudonymKey]];
  if (config.platform) refs.push(['platform.secret', config.platform.secret]);
  for (const [what, ref] of refs) {
    if ('file' in ref) {
      checkSecretFileMode(configPath(baseDir, ref.file), what, {
        allowInsecure: config.allowInsecureSecretFiles,
        ...(logger === undefined ? {} : { logger }),
      });
    }
  }
}

/** The pseudonymiser of the configured key; a key the SDK refuses is `CONFIG_INVALID` naming `pseudonymKey`. */
export function pseudonymizerFromConfig(config: TerminalHostConfig, baseDir: string): Pseudonymizer {
  const key = readSecretBytes(config.pseudonymKey, baseDir, 'pseudonymKey');
  try {
    return createPseudonymizer(key);
  } catch (cause) {
    throw new XinyiError('CONFIG_INVALID', `pseudonymKey: ${(cause as Error).message}`, {
      cause,
      details: { field: 'pseudonymKey' },
    });
  }
}

/** The error for an HTTP port the daemon cannot listen on, naming the port and the option to change. */
export function listenError(host: string, port: number, cause: unknown): XinyiError {
  const code = String((cause as { code?: unknown } | null)?.code ?? 'unknown');
  const why =
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (another xinyi gate, or another program); set http.port in the configuration to a free port`
      : code === 'EACCES'
        ? `port ${port} on ${host} needs privileges; set http.port to 1024 or above`
        : code === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine; set http.host (127.0.0.1 by default)`
          : `cannot listen on ${host}:${port} (${code})`;
  return new XinyiError('CONFIG_INVALID', `http: ${why}`, {
    cause,
    details: { field: code === 'EADDRNOTAVAIL' ? 'http.host' : 'http.port', reason: code },
  });
}
