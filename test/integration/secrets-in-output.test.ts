import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, stackSuperuser, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { uniqueTopicPrefix } from '../support/kafka.js';
import { OutboxWriter } from '../support/outbox.js';
import { runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import { GRANTED_TOPIC_PREFIX, type SecureStack, secureStack } from '../support/secure-transport.js';
import { serviceUrls } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Every output of every command (stdout, stderr, the JSON logs, /status and /metrics), with
 * secrets in every form the relay accepts: the password in DATABASE_URL's user info (percent-
 * encoded, several hosts), in its query (`?password=`, `sslpassword=`), PGPASSWORD, the Kafka
 * SASL password and TLS key password, the schema registry's password and the one in its URL,
 * and credentials in `status --relay-url`. Each output is searched for each secret raw,
 * percent-encoded, JSON-escaped and base64-encoded; and for the PEM lines of the client key.
 */
describe.skipIf(serviceUrls().kind !== 'local-stack')('no secret in any output', () => {
  const tag = randomBytes(3).toString('hex');
  // Characters that URLs, JSON and shells treat specially, so that each encoding differs from the raw text.
  const secret = {
    /** In DATABASE_URL's user info; node-postgres takes ?password= before it. */
    userInfo: `ui-P@ss:w/rd%${tag}`,
    /** ?password=: the role's real password. */
    queryPassword: `qp-P@ss"w\\rd&x=${tag}`,
    sslPassword: `sp-K3y&Pw=${tag}`,
    pgPassword: `PGPASSWORD-${tag}`,
    /** OUTBOX_SCHEMA_REGISTRY_PASSWORD, and the one in OUTBOX_SCHEMA_REGISTRY_URL. */
    registryPassword: `rp-Reg"Pw-${tag}`,
    registryUrlPassword: `ru-Reg@Pw-${tag}`,
    /** A password that PostgreSQL refuses: the error path. */
    wrongPassword: `wp-Wr0ng@Pw-${tag}`,
    /** Credentials in `status --relay-url`. */
    relayUrlPassword: `rl-Relay@Pw-${tag}`,
  };
  const registryUser = 'registry-user';
  const registryUrlUser = 'url-user';
  let stack: SecureStack;
  let database: TestDatabase;
  let role: string;
  let env: Record<string, string>;
  let metricsPort: number;
  /** Every output so far: its name, and what it printed or answered. */
  const outputs: Array<{ name: string; text: string }> = [];

  /** Each secret in each form it could take in an output. */
  function needles(): Array<{ what: string; text: string }> {
    const values: Record<string, string> = {
      ...secret,
      kafkaSaslPassword: stack.kafkaPassword,
      kafkaSslKeyPassword: stack.clientKeyPassword,
    };
    const forms = Object.entries(values).flatMap(([name, value]) => [
      { what: `${name} raw`, text: value },
      { what: `${name} percent-encoded`, text: encodeURIComponent(value) },
      { what: `${name} JSON-escaped`, text: JSON.stringify(value).slice(1, -1) },
      { what: `${name} base64`, text: Buffer.from(value).toString('base64') },
    ]);
    const basicAuth = (user: string, password: string) =>
      Buffer.from(`${user}:${password}`).toString('base64');
    const keyLines = readFileSync(stack.clientKeyFile, 'utf8')
      .split('\n')
      .filter((line) => line.length >= 40 && !line.startsWith('-----'));
    return [
      ...forms,
      { what: 'registry basic auth', text: basicAuth(registryUser, secret.registryPassword) },
      { what: 'registry URL basic auth', text: basicAuth(registryUrlUser, secret.registryUrlPassword) },
      ...keyLines.map((line) => ({ what: 'a line of the client key', text: line })),
    ];
  }

  /** Records an output and returns the secrets found in it, each as "<secret> <form>". */
  function leaksIn(name: string, text: string): string[] {
    outputs.push({ name, text });
    return needles()
      .filter((needle) => text.includes(needle.text))
      .map((needle) => needle.what);
  }

  const enc = encodeURIComponent;
  /** DATABASE_URL with a dead host first, then the stack's; `password` in the query unless null. */
  function databaseUrl(password: string | null, hosts = `127.0.0.1:1,${pgHost()}`): string {
    const query = new URLSearchParams({ sslpassword: secret.sslPassword, sslmode: 'disable' });
    if (password !== null) query.set('password', password);
    return `postgres://${role}:${enc(secret.userInfo)}@${hosts}/${database.name}?${query}`;
  }
  const pgHost = () => new URL(database.url).host;

  beforeAll(async () => {
    const found = await secureStack();
    if (!found) throw new Error('.stack/env has no secure listeners: run `npm run stack -- up`');
    stack = found;
    database = await createTestDatabase('secrets');
    role = `secrets_${tag}`;
    await withAdmin(async (client) => {
      await client.query(
        `CREATE ROLE ${role} LOGIN REPLICATION PASSWORD ${client.escapeLiteral(secret.queryPassword)}`,
      );
      // The database's owner may create the outbox table (in public) and the publication.
      await client.query(`ALTER DATABASE ${pg.escapeIdentifier(database.name)} OWNER TO ${role}`);
    });
    metricsPort = await freePort();
    env = {
      DATABASE_URL: databaseUrl(secret.queryPassword),
      PGPASSWORD: secret.pgPassword,
      OUTBOX_SLOT: `slot_${database.name}`,
      OUTBOX_PUBLICATION: `slot_${database.name}`,
      OUTBOX_TOPIC_TEMPLATE: `${GRANTED_TOPIC_PREFIX}${uniqueTopicPrefix()}.{aggregate_type}`,
      OUTBOX_LOG_LEVEL: 'debug',
      OUTBOX_METRICS_PORT: String(metricsPort),
      // Kafka over SASL_SSL as User:relay, with a client key that has a password.
      KAFKA_BROKERS: stack.saslSslBrokers,
      OUTBOX_KAFKA_SSL: 'true',
      OUTBOX_KAFKA_SSL_CA_FILE: stack.caFile,
      OUTBOX_KAFKA_SSL_CERT_FILE: stack.clientCertFile,
      OUTBOX_KAFKA_SSL_KEY_FILE: stack.clientKeyFile,
      OUTBOX_KAFKA_SSL_KEY_PASSWORD: stack.clientKeyPassword,
      OUTBOX_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      OUTBOX_KAFKA_SASL_USERNAME: stack.kafkaUser,
      OUTBOX_KAFKA_SASL_PASSWORD: stack.kafkaPassword,
      // Set, though JSON values do not use it (the Avro case below does).
      OUTBOX_SCHEMA_REGISTRY_URL: `http://${registryUrlUser}:${enc(secret.registryUrlPassword)}@127.0.0.1:1/apis/ccompat/v7`,
      OUTBOX_SCHEMA_REGISTRY_USERNAME: registryUser,
      OUTBOX_SCHEMA_REGISTRY_PASSWORD: secret.registryPassword,
    };
  });

  afterAll(async () => {
    if (!database) return;
    const owner = new URL(serviceUrls().databaseUrl).username;
    await withAdmin((client) =>
      client.query(
        `ALTER DATABASE ${pg.escapeIdentifier(database.name)} OWNER TO ${pg.escapeIdentifier(owner)}`,
      ),
    );
    await database.drop();
    await withAdmin((client) => client.query(`DROP ROLE IF EXISTS ${role}`));
  });

  it('init prints the database without its passwords', async () => {
    const { code, output } = await runRelayCommand(['init', '--create-table'], env);
    expect(code, output).toBe(0);
    expect(output).toContain('created  replication slot');
    expect(output).toMatch(/^database postgres:\/\//m);
    expect(leaksIn('init', output)).toEqual([]);
  });

  it('run: its logs, /status and /metrics, and /status when PostgreSQL refuses the metrics connection', {
    timeout: 60_000,
  }, async () => {
    // One host: a failed connection then names the URL (several hosts: each host's answer).
    const relay = startRelayProcess(['run'], {
      ...env,
      DATABASE_URL: databaseUrl(secret.queryPassword, pgHost()),
    });
    const url = `http://127.0.0.1:${metricsPort}`;
    try {
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, {
        timeoutMs: 30_000,
        message: `the relay streaming (output so far: ${relay.output()})`,
      });
      const writer = await OutboxWriter.connect(databaseUrl(secret.queryPassword, pgHost()));
      await writer.transaction(5, { aggregateType: 'order' }).finally(() => writer.close());
      const status = await fetch(`${url}/status`);
      expect(status.status).toBe(200);
      expect(leaksIn('/status', await status.text())).toEqual([]);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('outbox_relay_state');
      expect(leaksIn('/metrics', metrics)).toEqual([]);

      // The metrics connection dropped, and its password changed: /status says why it cannot answer.
      await withAdmin(async (client) => {
        await client.query(`ALTER ROLE ${role} PASSWORD ${client.escapeLiteral(secret.wrongPassword)}`);
        await client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'outbox-relay metrics'",
        );
      });
      let refused = '';
      await waitFor(
        async () => {
          const answer = await fetch(`${url}/status`);
          refused = await answer.text();
          return answer.status === 503 && refused.includes('password authentication failed');
        },
        { timeoutMs: 20_000, message: '/status answering 503: PostgreSQL refuses the password' },
      );
      expect(leaksIn('/status, PostgreSQL refusing', refused)).toEqual([]);
    } finally {
      await withAdmin((client) =>
        client.query(`ALTER ROLE ${role} PASSWORD ${client.escapeLiteral(secret.queryPassword)}`),
      );
      relay.kill('SIGTERM');
      await relay.exited;
    }
    expect(leaksIn('run (stdout, stderr)', relay.output())).toEqual([]);
  });

  it('run: the errors it prints for a wrong password, and for an unreachable schema registry', async () => {
    const wrong = await runRelayCommand(['run'], {
      ...env,
      DATABASE_URL: databaseUrl(secret.wrongPassword, pgHost()),
      OUTBOX_METRICS_PORT: '0',
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toContain('password authentication failed');
    expect(leaksIn('run, wrong password', wrong.output)).toEqual([]);

    const avro = await runRelayCommand(['run'], {
      ...env,
      OUTBOX_VALUE_ENCODING: 'avro',
      OUTBOX_METRICS_PORT: '0',
    });
    expect(avro.code).not.toBe(0);
    expect(avro.output).toContain('cannot reach the schema registry');
    expect(leaksIn('run, registry unreachable', avro.output)).toEqual([]);
  });

  it('status: its report and JSON with credentials in --relay-url, and its error for a wrong PGPASSWORD', async () => {
    const relayUrl = `http://watcher:${enc(secret.relayUrlPassword)}@127.0.0.1:${metricsPort}/status`;
    const text = await runRelayCommand(['status', '--relay-url', relayUrl], env);
    expect(text.code, text.output).toBe(0);
    expect(text.output).toContain('confirmed LSN');
    expect(leaksIn('status', text.output)).toEqual([]);
    const json = await runRelayCommand(['status', '--json', '--relay-url', relayUrl], env);
    expect(json.code, json.output).toBe(0);
    expect(leaksIn('status --json', json.output)).toEqual([]);

    // No password in the URL: node-postgres takes PGPASSWORD, which PostgreSQL refuses.
    const refused = await runRelayCommand(['status'], { ...env, DATABASE_URL: databaseUrl(null, pgHost()) });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('password authentication failed');
    expect(leaksIn('status, PGPASSWORD refused', refused.output)).toEqual([]);
  });

  it('replay --dry-run', async () => {
    const { code, output } = await runRelayCommand(['replay', '--dry-run', '--all', '--json'], env);
    expect(code, output).toBe(0);
    expect(output).toContain('"replay":"dry-run"');
    expect(leaksIn('replay --dry-run', output)).toEqual([]);
  });

  it('compare: the error it prints for a topic that does not exist', async () => {
    const topic = env.OUTBOX_TOPIC_TEMPLATE?.replace('{aggregate_type}', 'missing') ?? '';
    const { code, output } = await runRelayCommand(['compare', topic, topic], env);
    expect(code).toBe(1);
    expect(output).toContain('does not host this topic-partition');
    expect(leaksIn('compare', output)).toEqual([]);
  });

  it('every output was searched', () => {
    expect(outputs.map((output) => output.name)).toEqual([
      'init',
      '/status',
      '/metrics',
      '/status, PostgreSQL refusing',
      'run (stdout, stderr)',
      'run, wrong password',
      'run, registry unreachable',
      'status',
      'status --json',
      'status, PGPASSWORD refused',
      'replay --dry-run',
      'compare',
    ]);
  });
});

/** Roles with REPLICATION are the superuser's to make and change. */
async function withAdmin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(stackSuperuser());
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
