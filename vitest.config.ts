import { defineConfig } from 'vitest/config';

/** Integration tests that prove delivery, ordering and fault handling: run once per Kafka client. */
const PER_SINK = [
  'test/integration/delivery.test.ts',
  'test/integration/crash.test.ts',
  'test/integration/bad-input.test.ts',
  'test/integration/observability.test.ts',
  'test/integration/partitioner.test.ts',
  'test/integration/column-types.test.ts',
  'test/integration/memory.test.ts',
  'test/integration/secure-transport.test.ts',
  'test/integration/exactly-once.test.ts',
  'test/integration/fencing.test.ts',
  'test/faults/**/*.test.ts',
];

/**
 * Run again with the relay over TLS (test/support/secure-transport.ts): to Kafka as User:relay by
 * SASL/SCRAM-SHA-512 or by client certificate, to PostgreSQL with verify-full as its own role.
 */
const SECURE_TESTS = ['test/integration/delivery.test.ts'];
const SECURE_RUNS = [
  ['sasl-scram', 'librdkafka'],
  ['sasl-scram', 'kafkajs'],
  ['mtls', 'librdkafka'],
  ['mtls', 'kafkajs'],
] as const;

/** Run again with events written as WAL messages (test/support/outbox.ts: WRITE_EVENTS_SQL). */
const MESSAGE_TESTS = [
  'test/integration/delivery.test.ts',
  'test/integration/crash.test.ts',
  'test/faults/relay-kill.test.ts',
];

/**
 * Run again with OUTBOX_DELIVERY=exactly-once, once per client: the faults the issue names, each
 * checked with a read_committed consumer for no duplicate as well (test/support/fault-run.ts).
 */
const EXACTLY_ONCE_TESTS = [
  'test/faults/relay-kill.test.ts',
  'test/faults/postgres-restart.test.ts',
  'test/faults/kafka-outage.test.ts',
  'test/faults/leader-failover.test.ts',
  'test/faults/poison.test.ts',
  'test/faults/postgres-restore.test.ts',
];

/** Run again with the outbox partitioned by created_at (init --create-table --partitioned). */
const PARTITIONED_TESTS = [
  'test/integration/delivery.test.ts',
  'test/integration/crash.test.ts',
  'test/faults/kafka-outage.test.ts',
];

const integration = {
  globalSetup: ['test/support/global-setup.ts'],
  // One file at a time: they share one PostgreSQL and one broker on 2 cores, and fault tests stop them.
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

/** A project that runs integration files again under other settings, after the groups before it in `groupOrder`. */
const rerun = (name: string, include: string[], env: Record<string, string>, groupOrder: number) => ({
  test: { name, include, env, sequence: { groupOrder }, ...integration },
});

export default defineConfig({
  test: {
    // A project may have no files yet (test/faults/); that is not a failure.
    passWithNoTests: true,
    // Stopping test containers (global setup teardown) can take longer than the default 10 s.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // The default client (librdkafka) runs everything.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/faults/**/*.test.ts', 'test/compat/**/*.test.ts'],
          ...integration,
        },
      },
      // Each group after the first, never beside it: they stop and start the same broker.
      rerun('kafkajs', PER_SINK, { OUTBOX_KAFKA_CLIENT: 'kafkajs' }, 1),
      ...SECURE_RUNS.map(([transport, client]) =>
        rerun(
          `${transport}-${client}`,
          SECURE_TESTS,
          { OUTBOX_KAFKA_CLIENT: client, TEST_TRANSPORT: transport },
          2,
        ),
      ),
      // Events written as WAL messages (OUTBOX_SOURCE=messages) instead of table rows.
      rerun('messages', MESSAGE_TESTS, { OUTBOX_SOURCE: 'messages' }, 3),
      ...(['librdkafka', 'kafkajs'] as const).map((client) =>
        rerun(
          `exactly-once-${client}`,
          EXACTLY_ONCE_TESTS,
          { OUTBOX_KAFKA_CLIENT: client, OUTBOX_DELIVERY: 'exactly-once' },
          4,
        ),
      ),
      rerun('partitioned', PARTITIONED_TESTS, { TEST_OUTBOX_LAYOUT: 'partitioned' }, 5),
      {
        // The image from docker/Dockerfile, built and run with podman (scripts/container.sh); skipped,
        // with the reason, where podman cannot run. Its first build takes minutes: the hook waits.
        test: {
          name: 'container',
          include: ['test/container/**/*.test.ts'],
          sequence: { groupOrder: 6 },
          ...integration,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
