import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { RelayConfig } from '../../src/config/relay-config.js';
import { layoutFromConfig } from '../../src/outbox/layout.js';
import { OutboxRelay } from '../../src/relay/relay.js';
import type { Lsn } from '../../src/replication/lsn.js';
import { connectPostgres } from '../../src/replication/postgres-client.js';
import { readSlotState } from '../../src/replication/slot-state.js';
import { initialize } from '../../src/setup/initialize.js';
import { createTestDatabase } from './database.js';
import { uniqueTopicPrefix } from './kafka.js';
import { OUTBOX_ENV, OutboxWriter, TEST_PARTITIONED } from './outbox.js';
import { testRelayLogger } from './relay-log.js';
import {
  GRANTED_TOPIC_PREFIX,
  grantOutboxRead,
  requestedTransport,
  secureRelayEnv,
  secureStack,
  type Transport,
} from './secure-transport.js';
import { serviceUrls } from './services.js';

export interface OutboxFixture {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  readonly slot: string;
  /** Environment for the relay CLI. */
  readonly env: Record<string, string>;
  readonly config: RelayConfig;
  /** The topic of an aggregate type under this fixture's unique prefix. */
  topic(aggregateType: string): string;
  /** Starts an in-process relay with optional overrides; stopped by dispose(). */
  startRelay(overrides?: Record<string, string>): Promise<OutboxRelay>;
  confirmedFlushLsn(): Promise<Lsn | null>;
  dispose(): Promise<void>;
}

/**
 * A fresh database with the default outbox table, publication and slot; unique topics. Under
 * TEST_TRANSPORT the relay (not the test's own clients) goes over TLS: to Kafka's secure listener
 * as User:relay, and to PostgreSQL with verify-full as the relay's role, granted SELECT on the outbox.
 */
export async function createOutboxFixture(
  name: string,
  extraEnv: Record<string, string> = {},
  transport: Transport | undefined = requestedTransport(),
  partitioned = TEST_PARTITIONED,
): Promise<OutboxFixture> {
  const { kafkaBrokers } = serviceUrls();
  const stack = transport ? await secureStack() : undefined;
  if (transport && !stack)
    throw new Error(`TEST_TRANSPORT=${transport} needs the local stack's secure listeners`);
  const database = await createTestDatabase(name);
  const prefix = `${stack ? GRANTED_TOPIC_PREFIX : ''}${uniqueTopicPrefix()}`;
  // Slots are global to the server: one per test database.
  const slot = `slot_${database.name}`;
  const env = {
    ...OUTBOX_ENV(database.url, kafkaBrokers, slot),
    OUTBOX_TOPIC_TEMPLATE: `${prefix}.{aggregate_type}`,
    ...extraEnv,
  };
  const config = loadConfig({ env });
  const metadata = await connectPostgres(database.url, 'test');
  await initialize(metadata, config, layoutFromConfig(config), { createTable: true, partitioned });
  if (transport && stack) {
    await grantOutboxRead(database.url, config.table, stack.pgRelayRole);
    Object.assign(env, secureRelayEnv(stack, transport, database.url));
  }
  const relays: OutboxRelay[] = [];
  return {
    databaseUrl: database.url,
    kafkaBrokers,
    slot,
    env,
    config,
    topic: (aggregateType) => `${prefix}.${aggregateType}`,
    async startRelay(overrides = {}) {
      const relay = new OutboxRelay(loadConfig({ env: { ...env, ...overrides } }), testRelayLogger(name));
      relays.push(relay);
      // A failed test must not leave its relay holding the slot's leader lock for the next one.
      onTestFinished(() => relay.stop());
      await relay.start();
      return relay;
    },
    async confirmedFlushLsn() {
      return (await readSlotState(metadata, slot))?.confirmedFlushLsn ?? null;
    },
    async dispose() {
      await Promise.all(relays.map((relay) => relay.stop()));
      await metadata.end();
      await database.drop();
    },
  };
}

/** A fixture and a writer for one test file: made before its tests, disposed of after them. */
export function useOutboxFixture(
  name: string,
  extraEnv: Record<string, string> = {},
  transport: Transport | undefined = requestedTransport(),
): { readonly fixture: OutboxFixture; readonly writer: OutboxWriter } {
  const context = {} as { fixture: OutboxFixture; writer: OutboxWriter };
  beforeAll(async () => {
    context.fixture = await createOutboxFixture(name, extraEnv, transport);
    context.writer = await OutboxWriter.connect(context.fixture.databaseUrl);
  });
  afterAll(async () => {
    await context.writer?.close();
    await context.fixture?.dispose();
  });
  return context;
}
