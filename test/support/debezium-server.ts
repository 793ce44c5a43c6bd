import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const STACK_SCRIPT = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));

export interface DebeziumInstall {
  /** The unpacked debezium-server distribution. */
  readonly server: string;
  /** A Java 21 runtime's java. */
  readonly java: string;
}

/**
 * Debezium Server and its Java runtime, fetched once by `scripts/stack.sh debezium-fetch`
 * (Maven Central and PyPI); a sentence saying why not where they cannot be fetched.
 */
export async function fetchDebeziumServer(): Promise<DebeziumInstall | string> {
  try {
    const { stdout, stderr } = await promisify(execFile)('bash', [STACK_SCRIPT, 'debezium-fetch'], {
      timeout: 600_000,
    });
    // A first run says what it fetched and how long that took.
    if (stderr.trim()) process.stderr.write(stderr);
    const paths = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=', 2)),
    );
    if (!paths.DEBEZIUM_SERVER || !paths.DEBEZIUM_JAVA)
      return `scripts/stack.sh debezium-fetch printed ${stdout}`;
    return { server: paths.DEBEZIUM_SERVER, java: paths.DEBEZIUM_JAVA };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    return `Debezium Server could not be fetched (scripts/stack.sh debezium-fetch): ${stderr.split('\n').at(-1)}`;
  }
}

export interface DebeziumOutboxSource {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  readonly slot: string;
  readonly publication: string;
  /** schema.table, comma-separated. */
  readonly tables: string;
  /** Topic of a record: `${topicPrefix}.${aggregatetype}`. */
  readonly topicPrefix: string;
  readonly offsetsFile: string;
}

/**
 * Debezium Server with the PostgreSQL connector streaming from an existing slot and publication
 * (no snapshot) through the outbox event router with its defaults for Debezium's outbox table, into
 * Kafka with String serializers. Callers add the converter setup under test.
 */
export function outboxProperties(source: DebeziumOutboxSource): Record<string, string> {
  const db = new URL(source.databaseUrl);
  return {
    'debezium.sink.type': 'kafka',
    'debezium.sink.kafka.producer.bootstrap.servers': source.kafkaBrokers,
    'debezium.sink.kafka.producer.key.serializer': STRING_SERIALIZER,
    'debezium.sink.kafka.producer.value.serializer': STRING_SERIALIZER,
    'debezium.sink.kafka.producer.acks': 'all',
    'debezium.source.connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'debezium.source.offset.storage.file.filename': source.offsetsFile,
    'debezium.source.offset.flush.interval.ms': '1000',
    'debezium.source.database.hostname': db.hostname,
    'debezium.source.database.port': db.port || '5432',
    'debezium.source.database.user': decodeURIComponent(db.username),
    'debezium.source.database.password': decodeURIComponent(db.password),
    'debezium.source.database.dbname': db.pathname.slice(1),
    'debezium.source.topic.prefix': 'compat',
    'debezium.source.plugin.name': 'pgoutput',
    'debezium.source.slot.name': source.slot,
    'debezium.source.publication.name': source.publication,
    'debezium.source.publication.autocreate.mode': 'disabled',
    'debezium.source.snapshot.mode': 'never',
    'debezium.source.table.include.list': source.tables,
    'debezium.transforms': 'outbox',
    'debezium.transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    // Debezium's placeholder, escaped ($$) from Quarkus's own ${...} expansion of the file.
    'debezium.transforms.outbox.route.topic.replacement': `${source.topicPrefix}.$\${routedByValue}`,
    'quarkus.http.port': '0',
    'quarkus.log.console.json': 'false',
  };
}

export const STRING_SERIALIZER = 'org.apache.kafka.common.serialization.StringSerializer';
export const BYTES_SERIALIZER = 'org.apache.kafka.common.serialization.ByteArraySerializer';

export interface DebeziumProcess {
  /** Resolves with the exit code when the server exits (it does when its engine fails). */
  readonly exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Starts Debezium Server in `dir`, whose config/application.properties it reads. */
export function startDebeziumServer(
  install: DebeziumInstall,
  dir: string,
  properties: Record<string, string>,
): DebeziumProcess {
  mkdirSync(`${dir}/config`, { recursive: true });
  writeFileSync(
    `${dir}/config/application.properties`,
    Object.entries(properties)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
  );
  const runner = readdirSync(install.server).find((name) => /^debezium-server-.*runner\.jar$/.test(name));
  if (!runner) throw new Error(`no debezium-server-*-runner.jar in ${install.server}`);
  const child: ChildProcess = spawn(
    install.java,
    ['-Xmx384m', '-cp', `${install.server}/${runner}:${install.server}/lib/*`, 'io.debezium.server.Main'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: dir } },
  );
  const log = createWriteStream(`${dir}/debezium.log`);
  let output = '';
  const collect = (chunk: Buffer) => {
    log.write(chunk);
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      log.end();
      resolve(code);
    }),
  );
  return {
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
