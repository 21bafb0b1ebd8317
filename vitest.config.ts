import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,protocol,probes,agent,collector,cli,sim,scripts,test}/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
