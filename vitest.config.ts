import { defineConfig } from 'vitest/config';

// Two projects: every suite on the embedded default, and the HTTP behaviour suite again on the
// scale-out backends (the run's PostgreSQL, see test/support/postgres-server.ts, and an s3rver bucket on loopback).
export default defineConfig({
  test: {
    // Hang detectors, not speed expectations: no test without a timeout of its own takes more than a quarter
    // of this on an idle machine, so a machine four times slower still passes. Tests whose work is large
    // (the 1 GiB stream, the crash harness) derive theirs from that work.
    testTimeout: 60_000,
    hookTimeout: 60_000,
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
