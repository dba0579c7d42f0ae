import { cp, rm } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    'sdk/index': 'sdk/index.ts',
    'adapters/index': 'adapters/index.ts',
    'simulator/index': 'simulator/index.ts',
    'platform/index': 'platform/index.ts',
    'cli/xinyi': 'cli/xinyi.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: ['sdk/index.ts', 'adapters/index.ts', 'simulator/index.ts', 'platform/index.ts'] },
  target: 'node20',
  platform: 'node',
  splitting: true,
  // No source maps in the package: they were more than half of it, and the unminified output with its
  // names kept already gives readable stack traces.
  sourcemap: false,
  clean: true,
  shims: true,
  // p-retry is ESM-only: bundle it so that require('xinyi-terminal') works on Node 20.
  noExternal: ['p-retry'],
  // An optional dependency, loaded on first use: tsup bundles what `dependencies` does not list.
  external: ['@zxing/library'],
  onSuccess: async () => {
    // The bin is ESM (package.json "bin"); a CommonJS copy of it would only be dead weight in the package.
    await rm('dist/cli/xinyi.cjs', { force: true });
    // The control panel's page, stylesheet and script are served as files by `xinyi sim --ui`.
    await cp('simulator/panel/static', 'dist/panel-static', { recursive: true });
  },
});
