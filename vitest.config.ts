import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,protocol,probes,agent,collector,checkpoint-lib,cli,sim,scripts,test}/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
