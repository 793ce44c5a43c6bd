import pg from 'pg';
import { serviceUrls } from './services.js';
import { readStackEnv } from './stack-env.js';

/**
 * The local stack's secure side (scripts/stack/tls.sh, kafka_security_config, pg_init): Kafka's
 * SASL_SSL and mutual-TLS listeners with ACLs for User:relay, and PostgreSQL's TLS-only relay role.
 */
export interface SecureStack {
  readonly saslSslBrokers: string;
  readonly sslBrokers: string;
  readonly caFile: string;
  readonly otherCaFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly clientKeyPassword: string;
  readonly kafkaUser: string;
  readonly kafkaPassword: string;
  readonly pgRelayRole: string;
  readonly pgRelayPassword: string;
  readonly pgReaderRole: string;
  readonly pgReaderPassword: string;
}

/** How the relay reaches Kafka in a secure run: SASL (SCRAM-SHA-512 or PLAIN) over TLS, or a client certificate. */
export type Transport = 'sasl-scram' | 'sasl-plain' | 'mtls';

const TRANSPORTS: readonly Transport[] = ['sasl-scram', 'sasl-plain', 'mtls'];

/** The ACLs of User:relay cover topics under this prefix (scripts/kafka/grant-relay.mjs). */
export const GRANTED_TOPIC_PREFIX = 'outbox.event.';

/** The transport a vitest project asks for (TEST_TRANSPORT), if any. */
export function requestedTransport(): Transport | undefined {
  const value = process.env.TEST_TRANSPORT;
  if (value === undefined || value === '') return undefined;
  const transport = TRANSPORTS.find((known) => known === value);
  if (!transport) throw new Error(`TEST_TRANSPORT=${value}: expected one of ${TRANSPORTS.join(', ')}`);
  return transport;
}

/** A project asks for a transport that only the local stack has (containers have no secure listeners). */
export function transportUnavailable(): boolean {
  return requestedTransport() !== undefined && serviceUrls().kind !== 'local-stack';
}

/** The secure side of the local stack, or undefined when .stack/env has none (containers, old stack). */
export async function secureStack(): Promise<SecureStack | undefined> {
  const env = await readStackEnv();
  if (!env?.KAFKA_SASL_SSL_BROKERS || !env.TLS_CA_FILE) return undefined;
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined) throw new Error(`.stack/env has no ${name}: run 'npm run stack -- up' again`);
    return value;
  };
  return {
    saslSslBrokers: need('KAFKA_SASL_SSL_BROKERS'),
    sslBrokers: need('KAFKA_SSL_BROKERS'),
    caFile: need('TLS_CA_FILE'),
    otherCaFile: need('TLS_OTHER_CA_FILE'),
    clientCertFile: need('TLS_CLIENT_CERT_FILE'),
    clientKeyFile: need('TLS_CLIENT_KEY_FILE'),
    clientKeyPassword: need('TLS_CLIENT_KEY_PASSWORD'),
    kafkaUser: need('KAFKA_RELAY_USER'),
    kafkaPassword: need('KAFKA_RELAY_PASSWORD'),
    pgRelayRole: need('PG_RELAY_ROLE'),
    pgRelayPassword: need('PG_RELAY_PASSWORD'),
    pgReaderRole: need('PG_READER_ROLE'),
    pgReaderPassword: need('PG_READER_PASSWORD'),
  };
}

/** A database URL as another role, over TLS that checks the server's certificate and name. */
export function verifiedUrl(databaseUrl: string, role: string, password: string, caFile: string): string {
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = password;
  url.searchParams.set('sslmode', 'verify-full');
  url.searchParams.set('sslrootcert', caFile);
  return url.toString();
}

/** The relay's Kafka settings for a transport. */
export function kafkaTransportEnv(stack: SecureStack, transport: Transport): Record<string, string> {
  const tls = { OUTBOX_KAFKA_SSL: 'true', OUTBOX_KAFKA_SSL_CA_FILE: stack.caFile };
  if (transport !== 'mtls') {
    return {
      ...tls,
      KAFKA_BROKERS: stack.saslSslBrokers,
      OUTBOX_KAFKA_SASL_MECHANISM: transport === 'sasl-scram' ? 'scram-sha-512' : 'plain',
      OUTBOX_KAFKA_SASL_USERNAME: stack.kafkaUser,
      OUTBOX_KAFKA_SASL_PASSWORD: stack.kafkaPassword,
    };
  }
  return {
    ...tls,
    KAFKA_BROKERS: stack.sslBrokers,
    OUTBOX_KAFKA_SASL_MECHANISM: 'none',
    OUTBOX_KAFKA_SSL_CERT_FILE: stack.clientCertFile,
    OUTBOX_KAFKA_SSL_KEY_FILE: stack.clientKeyFile,
    OUTBOX_KAFKA_SSL_KEY_PASSWORD: stack.clientKeyPassword,
  };
}

/** The relay's whole environment change for a secure run: Kafka as above, PostgreSQL as the relay's role. */
export function secureRelayEnv(
  stack: SecureStack,
  transport: Transport,
  databaseUrl: string,
): Record<string, string> {
  return {
    ...kafkaTransportEnv(stack, transport),
    DATABASE_URL: verifiedUrl(databaseUrl, stack.pgRelayRole, stack.pgRelayPassword, stack.caFile),
  };
}

/** What the relay's role needs on an outbox table beyond REPLICATION (docs/production.md). */
export async function grantOutboxRead(databaseUrl: string, table: string, role: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`GRANT SELECT ON ${table} TO ${pg.escapeIdentifier(role)}`);
  } finally {
    await client.end();
  }
}
