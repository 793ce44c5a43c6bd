import type pg from 'pg';
import type { Logger } from 'pino';
import { type RelayConfig, readsTable } from '../config/relay-config.js';
import { endClient } from '../replication/pg-internals.js';
import { connectPostgres } from '../replication/postgres-client.js';
import { isPartitioned, OutboxPartitions } from './partitions.js';
import { type RetentionHooks, RetentionJob } from './retention.js';

/**
 * OUTBOX_RETENTION, and a partitioned outbox's partitions, kept by the leader only (`leader` is
 * its connection), on a connection of its own. Undefined when there is neither.
 */
export async function startRetention(
  databaseUrl: string,
  leader: pg.Client,
  config: RelayConfig,
  logger: Logger,
  hooks: Pick<RetentionHooks, 'deleted' | 'observed'>,
): Promise<{ stop(): Promise<void> } | undefined> {
  if (!readsTable(config)) return undefined;
  const partitioned = await isPartitioned(leader, config.table);
  if (config.retentionMs === 0 && !partitioned) return undefined;
  const client = await connectPostgres(databaseUrl, 'outbox-relay retention');
  const partitions = partitioned
    ? new OutboxPartitions(client, config.table, config.partitionPeriodMs, (name, reason) =>
        logger.warn({ partition: name }, `cannot create the outbox partition: ${reason}`),
      )
    : undefined;
  const job = new RetentionJob(
    client,
    config,
    {
      ...hooks,
      droppedPartition: (name) =>
        logger.info(
          { partition: name },
          'dropped an outbox partition past the retention, all of it confirmed',
        ),
      failed: (error) => logger.warn({ err: error }, 'retention round failed; trying again next round'),
    },
    partitions,
  );
  client.on('error', () => undefined);
  job.start();
  return {
    stop: async () => {
      await job.stop();
      await endClient(client);
    },
  };
}
