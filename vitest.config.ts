import { defineConfig } from 'vitest/config';

// Two projects. `fast` is what a contributor runs often (`npm test`): everything in-process, over PTYs
// and loopback, on fake timers or injected clocks where the code takes them. `e2e` is the rest
// (`*.e2e.test.ts`): suites that spawn the gate daemon, the CLI under tsx, a browser, npm or a child
// killed with SIGKILL, or run longer than ~5 s (the soak smoke, the packed-package consumers, the
// walkthroughs). `npm run test:all` and CI (.ci/run) run both.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: ['test/**/*.e2e.test.ts'] },
      },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.e2e.test.ts'] } },
    ],
  },
});
