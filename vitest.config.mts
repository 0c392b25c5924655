import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // forks, not threads: each test file's local stack owns its process (env, ports) and CDK bundling needs it.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    // Structured ERROR logs are captured for assertions, printed only when a test fails (test/support/logs.ts).
    setupFiles: ['test/support/logs.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
