import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';

/** The local stack's server settings (scripts/stack.sh), except what the container image decides. */
const POSTGRES_SETTINGS = [
  'wal_level=logical',
  'max_replication_slots=40',
  'max_wal_senders=40',
  'max_connections=200',
  'shared_buffers=256MB',
  'wal_sender_timeout=60s',
];

export interface StartedContainers {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  stop(): Promise<void>;
}

/** PostgreSQL 16 with logical replication and a single-node KRaft Kafka, through testcontainers. */
export async function startContainers(): Promise<StartedContainers> {
  const [postgres, kafka] = await Promise.all([
    new PostgreSqlContainer('postgres:16')
      .withUsername('outbox')
      .withPassword('outbox-secret')
      .withDatabase('outbox')
      .withCommand(['postgres', ...POSTGRES_SETTINGS.flatMap((setting) => ['-c', setting])])
      .start(),
    // cp-kafka 8.0 is Apache Kafka 4.0 and runs in KRaft mode; the container's listener is port 9093.
    new KafkaContainer('confluentinc/cp-kafka:8.0.0').withEnvironment({ KAFKA_NUM_PARTITIONS: '3' }).start(),
  ]);
  return {
    databaseUrl: postgres.getConnectionUri(),
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    stop: async () => {
      await Promise.all([postgres.stop(), kafka.stop()]);
    },
  };
}
