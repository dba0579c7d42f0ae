import { describe, expect, it } from 'vitest';
import { loadNativeModule } from '../../adapters/native.js';
import { isXinyiError } from '../../sdk/errors.js';

describe('loadNativeModule', () => {
  it('turns a missing optional module into NATIVE_MODULE_UNAVAILABLE with an install hint and the cause', async () => {
    const error = await loadNativeModule('xinyi-missing-native').catch((e: unknown) => e);
    expect(isXinyiError(error, 'NATIVE_MODULE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('npm install xinyi-missing-native');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('retries after a failure instead of caching the rejection', async () => {
    const first = loadNativeModule('xinyi-no-such-module');
    await expect(first).rejects.toMatchObject({ code: 'NATIVE_MODULE_UNAVAILABLE' });
    expect(loadNativeModule('xinyi-no-such-module')).not.toBe(first);
    await loadNativeModule('xinyi-no-such-module').catch(() => {});
  });

  it('loads a module that is present, once', async () => {
    const a = loadNativeModule<typeof import('node:os')>('node:os');
    expect(a).toBe(loadNativeModule('node:os'));
    expect(typeof (await a).cpus).toBe('function');
  });
});
