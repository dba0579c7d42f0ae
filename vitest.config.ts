import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects. `fast` is what a contributor runs often (`npm test`): everything in-process, over PTYs
// and loopback, on fake timers or injected clocks where the code takes them. `e2e` is the rest
// (`*.e2e.test.ts`): suites that spawn the gate daemon, the CLI under tsx, a browser, npm or a child
// killed with SIGKILL, or run longer than ~5 s (the soak smoke, the packed-package consumers, the
// walkthroughs). `npm run test:all` and CI (.ci/run) run both; `npm run test:e2e` runs its files one at
// a time (`--maxWorkers=1`), as each starts daemons and processes of its own.
//
// Workers: vitest's default is one per core but one, which is a single worker on a two-core machine;
// the fast files spend much of their time waiting on PTYs, loopback sockets and short timers, so two
// overlap those waits (`time npm test`, in CHANGELOG). The pool stays `forks`: the gate daemon, started
// in-process by the daemon suites, sets the process umask, which a worker thread may not.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 180_000,
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: ['test/**/*.e2e.test.ts'] },
      },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.e2e.test.ts'] } },
    ],
  },
});
