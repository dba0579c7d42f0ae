// zxing-wasm fetches its .wasm from a CDN unless told otherwise (docs/decoder-bench.md §6); a terminal is
// often offline. With fetch disabled, the decoder (and the generator's writer) must still start.
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('zxing-wasm offline', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('instantiates the reader and the writer from node_modules without calling fetch', async () => {
    const fetch = vi.fn(() => {
      throw new Error('network access during zxing-wasm initialisation');
    });
    vi.stubGlobal('fetch', fetch);
    // Fresh copies of the SDK modules, so that their wasm caches are empty and init happens here.
    vi.resetModules();
    const { createZxingWasmDecoder } = await import('../../../adapters/camera/index.js');
    const { generateCameraFrame } = await import('../../../simulator/camera/index.js');

    const decoder = await createZxingWasmDecoder();
    const generated = await generateCameraFrame({ seed: 'offline', width: 640, height: 480, modulePx: 4 });
    expect((await decoder.decode(generated.frame))[0]?.text).toBe(generated.payload);
    expect(fetch).not.toHaveBeenCalled();
    decoder.close?.();
  });
});
