import { defineConfig } from 'vitest/config';
import { allowFor } from './test/support/timeouts.js';

/** The slowest test without a timeout of its own (100,000 files in one manifest) takes about this long idle. */
const SLOWEST_IDLE_TEST_MS = 15_000;

// Two projects: every suite on the embedded default, and the HTTP behaviour suite again on the
// scale-out backends (the run's PostgreSQL, see test/support/postgres-server.ts, and an s3rver bucket on loopback).
export default defineConfig({
  test: {
    // Hang detectors, not speed expectations (see test/support/timeouts.ts). Tests whose work is larger
    // (the crash harness) derive theirs from that work.
    testTimeout: allowFor(SLOWEST_IDLE_TEST_MS),
    hookTimeout: allowFor(SLOWEST_IDLE_TEST_MS),
    // The global teardown drops the run's schemas (a few hundred, 2–3 s idle) and stops an embedded PostgreSQL.
    teardownTimeout: allowFor(3_000),
    globalSetup: ['test/support/global-setup.ts'],
    // Most suites wait on sockets, child processes and fsync rather than on the CPU.
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'embedded', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'postgres-s3',
          include: ['test/http/**/*.test.ts', 'test/reliability/garbage-collection.test.ts'],
          // Streaming measures a child process on the embedded default; its S3 twin is the blob-store suite.
          exclude: ['test/http/streaming.test.ts'],
          env: { PRESSCLOUD_TEST_BACKEND: 'postgres-s3' },
        },
      },
    ],
  },
});
