import { XinyiError } from '../../sdk/errors.js';
import { configPath, readSecret, type ServeConfig } from '../gate/config.js';
import { checkSecretFileMode } from '../gate/local-files.js';

/** The shortest token accepted: 32 characters (`openssl rand -hex 32` gives 64). */
export const MIN_TOKEN_LENGTH = 32;

/**
 * The bearer token, from a file only its owner may read; `CONFIG_INVALID` naming `api.tokenFile`.
 * A module of its own so that `xinyi doctor` reads it without loading the service (its HTTP and
 * WebSocket server, the terminal host).
 */
export function readApiToken(config: ServeConfig, baseDir: string): string {
  const path = configPath(baseDir, config.api.tokenFile);
  checkSecretFileMode(path, 'api.tokenFile', { allowInsecure: config.allowInsecureSecretFiles });
  const token = readSecret({ file: config.api.tokenFile }, baseDir, 'api.tokenFile');
  if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
    throw new XinyiError(
      'CONFIG_INVALID',
      `api.tokenFile: the token must be at least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces (openssl rand -hex 32)`,
      { details: { field: 'api.tokenFile' } },
    );
  }
  return token;
}
