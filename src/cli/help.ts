import { optionsHelp } from '../config/help.js';

export function usage(): string {
  return `outbox-relay: streams a PostgreSQL outbox table to Kafka through logical replication.

Usage: outbox-relay <command> [--config file.json] [options]

Commands:
  init [--create-table [--partitioned]]
                         Check wal_level and privileges; create the table (if asked;
                         --partitioned: partitioned by created_at, OUTBOX_PARTITION_PERIOD
                         each), the publication, then the replication slot. Idempotent.
  run [--pretty] [--register]
                         Stream until SIGTERM/SIGINT; then drain, confirm and exit 0.
                         A second signal exits at once (unconfirmed events are resent).
                         --register: register the Avro schemas (OUTBOX_AVRO_REGISTER).
  status [--json] [--relay-url URL]
                         Slot, confirmed LSN, lag in bytes, wal_status, whether a relay streams;
                         lag in seconds from the relay's /status (default: this host's
                         OUTBOX_METRICS_PORT).
  replay <selection> [--rate N] [--dry-run] [--restart] [--order-by COLUMN] [--json]
                         Publish rows already in the table, as the stream would, without the
                         slot. Selection (combined): --since/--until TIME (or 7d, 12h ago),
                         --from-id/--to-id ID, --aggregate-type T, --aggregate-id ID (both
                         repeatable), or --all. Resumable: Ctrl-C, then the same command.
                         Progress bar on a terminal, JSON lines otherwise. docs/replay.md
  compare <expected-topic> <actual-topic> [--json]
                         Pair both topics' records by event id and compare partition, key,
                         value and headers byte for byte (a migration profile against
                         Debezium's records). Needs only the Kafka settings. Exit 1 on a
                         difference.

Settings come from the environment (below), or a JSON file of the same settings by their
option key (--config or OUTBOX_CONFIG_FILE); the environment wins.

Environment:
${optionsHelp()}

Exit codes: 0 done, 1 failed while running, 2 bad configuration or setup, 130 replay interrupted.`;
}
