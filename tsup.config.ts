import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    'sdk/index': 'sdk/index.ts',
    'adapters/index': 'adapters/index.ts',
    'simulator/index': 'simulator/index.ts',
    'cli/xinyi': 'cli/xinyi.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: ['sdk/index.ts', 'adapters/index.ts', 'simulator/index.ts'] },
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  shims: true,
  // p-retry is ESM-only: bundle it so that require('xinyi-terminal') works on Node 20.
  noExternal: ['p-retry'],
});
