import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers; each file owns its own and stops them.
    pool: 'forks',
    // Two files at a time on this 2-core machine: most of a file's time is waiting (servers
    // starting, Secrets Manager's pause between steps, terraform), not CPU. Vitest's default
    // (cores - 1) runs one file at a time here.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
