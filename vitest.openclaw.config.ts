import { defineConfig } from 'vitest/config';

// The real-OpenClaw end-to-end suite (`npm run test:openclaw`): drives the built daemon (dist/)
// with the real `openclaw` CLI on Node 26, installed by scripts/openclaw-e2e-setup.mjs into
// .cache/openclaw-e2e/. Each CLI call takes 1–3 s and `openclaw doctor` 6–12 s, so timeouts are
// generous; files run one after another so CLI runs never compete for the CPU.
export default defineConfig({
  test: {
    include: ['test/openclaw/**/*.e2e.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
