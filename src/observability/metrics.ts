import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { pendingAgeSeconds, RELAY_STATES, type RelayView } from './relay-view.js';
import { WeightedHistogram } from './weighted-histogram.js';

/**
 * Seconds. A healthy relay's round trips are milliseconds; while Kafka is down, events wait
 * seconds to minutes, and those must still land in a bucket rather than only in +Inf.
 */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

/** Events per sendBatch, up to OUTBOX_BATCH_MAX_EVENTS' default of 10,000. */
export const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

/** pg_replication_slots.wal_status values (PostgreSQL 13+). */
export const WAL_STATUSES = ['reserved', 'extended', 'unreserved', 'lost'] as const;

/**
 * Refreshed by the slot poller from pg_replication_slots, on its own connection. Labelled by
 * slot so that they are absent, not a reassuring 0, until PostgreSQL has been read once.
 */
export interface SlotMetrics {
  readonly lagBytes: Gauge<'slot'>;
  readonly walStatus: Gauge<'slot' | 'status'>;
  readonly safeWalSizeBytes: Gauge<'slot'>;
  readonly lastPollTimestamp: Gauge<'slot'>;
}

/** Fed from the relay's events (relay-instrumentation.ts). */
export interface RelayMetrics {
  readonly registry: Registry;
  readonly published: Counter<'topic'>;
  readonly publishErrors: Counter<'reason'>;
  readonly registryErrors: Counter<'reason'>;
  readonly publishDuration: Histogram;
  readonly endToEndLatency: WeightedHistogram;
  readonly batchSize: Histogram;
  readonly lastAckTimestamp: Gauge;
  readonly deadLettered: Counter<'reason'>;
  readonly skipped: Counter;
  readonly historyDivergences: Counter;
  readonly missingOnServer: Counter;
  readonly retentionDeleted: Counter;
  readonly tableBytes: Gauge;
  readonly oldestRowAge: Gauge;
  readonly slot: SlotMetrics;
}

/**
 * A registry per relay (never prom-client's global one), so that several relays, or several
 * tests, in one process each expose their own numbers. Labels are bounded: topic, error
 * type, dead-letter reason, state, slot; never an aggregate or event id.
 */
export function createRelayMetrics(relay: RelayView): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  registerRelayGauges(relay, registry);
  return {
    registry,
    published: new Counter({
      name: 'outbox_events_published_total',
      help: 'Events acknowledged by Kafka (dead-lettered ones under the dead-letter topic)',
      labelNames: ['topic'],
      registers,
    }),
    publishErrors: new Counter({
      name: 'outbox_publish_errors_total',
      help: "Failed sendBatch attempts, by broker error type ('connection' when the broker was not reached)",
      labelNames: ['reason'],
      registers,
    }),
    registryErrors: new Counter({
      name: 'outbox_schema_registry_errors_total',
      help: "Failed Schema Registry calls that are retried, by HTTP status ('connection' when the registry was not reached)",
      labelNames: ['reason'],
      registers,
    }),
    publishDuration: new Histogram({
      name: 'outbox_publish_duration_seconds',
      help: 'From send to broker acknowledgement: one sendBatch (kafkajs), or one record timed at a time (librdkafka)',
      buckets: [...LATENCY_BUCKETS],
      registers,
    }),
    endToEndLatency: new WeightedHistogram(
      'outbox_end_to_end_latency_seconds',
      "From the commit of an event's transaction in PostgreSQL to Kafka's acknowledgement",
      LATENCY_BUCKETS,
      registry,
    ),
    batchSize: new Histogram({
      name: 'outbox_batch_size_events',
      help: 'Events acknowledged together: one sendBatch (kafkajs), or the delivery reports of one event-loop turn (librdkafka)',
      buckets: [...BATCH_BUCKETS],
      registers,
    }),
    lastAckTimestamp: new Gauge({
      name: 'outbox_last_ack_timestamp_seconds',
      help: 'Unix time of the last event acknowledged by Kafka',
      registers,
    }),
    deadLettered: new Counter({
      name: 'outbox_dlq_total',
      help: 'Poison events sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers,
    }),
    skipped: new Counter({
      name: 'outbox_events_skipped_total',
      help: 'Events the slot sent again that Kafka already had (by the checkpoint, or by what this process published), not sent twice',
      registers,
    }),
    historyDivergences: new Counter({
      name: 'outbox_history_divergences_total',
      help: "Times the server's WAL history was found not to hold what the relay had published (a restore, a point-in-time recovery, a failover to a standby that lagged): nothing was skipped",
      registers,
    }),
    missingOnServer: new Counter({
      name: 'outbox_events_missing_on_server_total',
      help: "Events in Kafka whose transactions the server's history does not have (as far as the relay remembers them): their business changes were lost with that history",
      registers,
    }),
    retentionDeleted: new Counter({
      name: 'outbox_retention_deleted_rows_total',
      help: 'Outbox rows deleted by OUTBOX_RETENTION (older than the retention, confirmed by the slot)',
      registers,
    }),
    tableBytes: new Gauge({
      name: 'outbox_table_size_bytes',
      help: 'pg_total_relation_size of the outbox table, read by each retention round',
      registers,
    }),
    oldestRowAge: new Gauge({
      name: 'outbox_oldest_row_age_seconds',
      help: 'Age of the oldest row in the outbox table (its timestamp column), read by each retention round',
      registers,
    }),
    slot: createSlotMetrics(registry),
  };
}

/** Gauges read from the relay's getters when scraped, so they are never stale. */
function registerRelayGauges(relay: RelayView, registry: Registry): void {
  const registers = [registry];
  new Gauge({
    name: 'outbox_inflight_events',
    help: 'Events received from the WAL and not yet acknowledged by Kafka',
    registers,
    collect() {
      this.set(relay.inflightEvents);
    },
  });
  new Gauge({
    name: 'outbox_inflight_bytes',
    help: 'Bytes of records received from the WAL and not yet acknowledged by Kafka',
    registers,
    collect() {
      this.set(relay.inflightBytes);
    },
  });
  new Gauge({
    name: 'outbox_confirmed_lsn',
    help: 'Last LSN this process confirmed to PostgreSQL, as a byte position (exact below 2^53)',
    registers,
    collect() {
      this.set(Number(relay.confirmed));
    },
  });
  new Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Seconds since the commit of the oldest event received from the WAL and not yet acknowledged by Kafka; 0 when none is (lag in seconds)',
    registers,
    collect() {
      this.set(pendingAgeSeconds(relay));
    },
  });
  new Gauge({
    name: 'outbox_last_confirmed_commit_timestamp_seconds',
    help: 'Unix time of the commit of the last transaction this relay confirmed to PostgreSQL; 0 before the first',
    registers,
    collect() {
      this.set((relay.lastConfirmedCommitTimeMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'outbox_relay_state',
    help: 'The relay state: 1 for the current one, 0 for the others',
    labelNames: ['state'],
    registers,
    collect() {
      for (const state of RELAY_STATES) this.set({ state }, state === relay.state ? 1 : 0);
    },
  });
}

function createSlotMetrics(registry: Registry): SlotMetrics {
  const registers = [registry];
  return {
    lagBytes: new Gauge({
      name: 'outbox_replication_lag_bytes',
      help: "WAL bytes between the server's current position and the slot's confirmed_flush_lsn",
      labelNames: ['slot'],
      registers,
    }),
    walStatus: new Gauge({
      name: 'outbox_slot_wal_status',
      help: 'pg_replication_slots.wal_status: 1 for the current one (lost: the slot is unusable)',
      labelNames: ['slot', 'status'],
      registers,
    }),
    safeWalSizeBytes: new Gauge({
      name: 'outbox_slot_safe_wal_size_bytes',
      help: 'WAL bytes that may still be written before the slot risks invalidation (+Inf: max_slot_wal_keep_size = -1)',
      labelNames: ['slot'],
      registers,
    }),
    lastPollTimestamp: new Gauge({
      name: 'outbox_slot_last_poll_timestamp_seconds',
      help: 'Unix time the slot gauges were last read from PostgreSQL; an old value means they are stale',
      labelNames: ['slot'],
      registers,
    }),
  };
}
