import { defineConfig } from 'vitest/config';

// Unit and integration suites. Integration suites start the built daemon (dist/), which
// `npm test` builds first (pretest). The real-OpenClaw suite has its own config.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/openclaw/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
