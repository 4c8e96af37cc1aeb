import { defineConfig } from 'vitest/config';

// Two tiers: `unit` needs nothing but Node (embedded aedes, PGlite); `integration` talks to real
// servers and third-party peers and fails loudly when one is missing.
// Processes the tests spawn through bin/metergate run the sources under test, never a stale dist/.
const env = { METERGATE_FROM_SOURCES: '1' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**', 'dist/**', 'test/e2e/**', 'test/lint-fixtures/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // One module graph per worker instead of one per file: importing the gateway's modules
          // again for each of ~150 files cost ~120 s of the tier's time on the 2-core machine. Tests
          // keep no state in modules (each builds its own database, broker and gateway), which this
          // relies on.
          isolate: false,
        },
      },
      {
        test: {
          name: 'integration',
          env,
          include: ['**/*.int.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // expect.poll gives up after 1 s by default: a browser round trip on the busy 2-core
          // machine can take longer, and the test would fail on time instead of behaviour.
          expect: { poll: { timeout: 15_000 } },
          fileParallelism: false,
        },
      },
    ],
  },
});
