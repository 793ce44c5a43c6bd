import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import {
  environmentSettings,
  isSecretKey,
  REDACTED,
  redactConfig,
  scrubSecrets,
  secretScrubber,
  secretValues,
} from '../../src/config/redact.js';

/** Each secret form in text, the secret it carries, and what must stay readable around it. */
const FORMS: ReadonlyArray<{ form: string; text: string; secret: string; kept: string }> = [
  {
    form: 'URL user info',
    text: 'cannot connect to postgres://relay:s3cret-pw@db:5432/app: refused',
    secret: 's3cret-pw',
    kept: 'postgres://relay:[redacted]@db:5432/app: refused',
  },
  {
    form: 'URL user info, several hosts',
    text: 'postgres://relay:s3cret-pw@db-a:5432,db-b:5433/app?target_session_attrs=read-write',
    secret: 's3cret-pw',
    kept: 'postgres://relay:[redacted]@db-a:5432,db-b:5433/app?target_session_attrs=read-write',
  },
  {
    form: 'URL user info, percent-encoded',
    text: 'postgres://relay:p%40ss%2Fw%3Ard@db/app',
    secret: 'p%40ss%2Fw%3Ard',
    kept: 'postgres://relay:[redacted]@db/app',
  },
  {
    form: 'URL user info with an unencoded @',
    text: 'postgres://relay:p@ss-word@db/app',
    secret: 'ss-word',
    kept: 'postgres://relay:[redacted]@db/app',
  },
  {
    form: 'URL user info without a user',
    text: 'postgres://:s3cret-pw@db/app',
    secret: 's3cret-pw',
    kept: 'postgres://:[redacted]@db/app',
  },
  {
    form: 'basic auth in an http URL',
    text: 'no answer from http://watcher:w4tch-pw@relay:9464/status',
    secret: 'w4tch-pw',
    kept: 'http://watcher:[redacted]@relay:9464/status',
  },
  {
    form: '?password= in the query',
    text: 'postgres://relay@db/app?sslmode=require&password=qu3ry-pw',
    secret: 'qu3ry-pw',
    kept: 'postgres://relay@db/app?sslmode=require&password=[redacted]',
  },
  {
    form: 'sslpassword=, percent-encoded, before other parameters',
    text: 'postgres://relay@db/app?sslpassword=k3y%26pw%3D1&sslmode=verify-full&sslkey=/keys/relay.key',
    secret: 'k3y%26pw%3D1',
    kept: 'sslpassword=[redacted]&sslmode=verify-full&sslkey=/keys/relay.key',
  },
  {
    form: "PostgreSQL 18's oauth_client_secret=",
    text: 'postgres://relay@db/app?oauth_client_id=relay&oauth_client_secret=0auth-s3cret',
    secret: '0auth-s3cret',
    kept: 'oauth_client_id=relay&oauth_client_secret=[redacted]',
  },
  {
    form: "libpq's keyword/value form, quoted",
    text: "host=db user=relay password = 'a b\\' c' sslpassword=k3y-pw passfile=/home/relay/.pgpass",
    secret: 'k3y-pw',
    kept: 'host=db user=relay password = [redacted] sslpassword=[redacted] passfile=/home/relay/.pgpass',
  },
  {
    form: 'PGPASSWORD= in text',
    text: 'env PGPASSWORD=env-s3cret psql',
    secret: 'env-s3cret',
    kept: 'env PGPASSWORD=[redacted] psql',
  },
];

describe('scrubSecrets: secrets in the forms text carries them', () => {
  it.each(FORMS)('$form', ({ text, secret, kept }) => {
    const clean = scrubSecrets(text);
    expect(clean).not.toContain(secret);
    expect(clean).toContain(kept);
    // Scrubbing twice changes nothing more.
    expect(scrubSecrets(clean)).toBe(clean);
  });

  it.each(FORMS)(
    '$form, inside a serialized JSON line: gone, and the line still parses',
    ({ text, secret }) => {
      const line = JSON.stringify({ msg: text, other: 'ops@example.com', url: 'http://localhost:9464' });
      const clean = scrubSecrets(line);
      expect(clean).not.toContain(secret);
      expect(JSON.parse(clean)).toMatchObject({ other: 'ops@example.com', url: 'http://localhost:9464' });
    },
  );

  it('leaves what is no secret as it is', () => {
    const plain = [
      'http://localhost:9464/metrics and ops@example.com',
      'postgres://relay@db:5432/app?sslmode=require&sslrootcert=/etc/ca.crt&application_name=x',
      'authentication failed: check the user and password in DATABASE_URL',
      'check OUTBOX_SCHEMA_REGISTRY_USERNAME and OUTBOX_SCHEMA_REGISTRY_PASSWORD',
      'outbox_publish_errors_total{reason="connection"} 3',
    ];
    for (const text of plain) expect(scrubSecrets(text)).toBe(text);
  });
});

describe('secretValues and secretScrubber: the configured secrets, in every encoding', () => {
  const DB_USER_INFO = 'ui-P@ss:w/rd%x';
  const DB_QUERY = 'q-P@ss"w\\rd&x=1 y';
  const SSL_PASSWORD = 'sp-K3y&Pw';
  const REGISTRY_URL_PASSWORD = 'ru-Reg@Pw';
  const env = {
    DATABASE_URL: `postgres://relay:${encodeURIComponent(DB_USER_INFO)}@db-a,db-b:5433/app?password=${encodeURIComponent(DB_QUERY)}&sslpassword=${encodeURIComponent(SSL_PASSWORD)}`,
    KAFKA_BROKERS: 'kafka:9092',
    OUTBOX_KAFKA_SSL: 'false',
    OUTBOX_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    OUTBOX_KAFKA_SASL_USERNAME: 'relay',
    OUTBOX_KAFKA_SASL_PASSWORD: 'sasl-Secr3t',
    OUTBOX_SCHEMA_REGISTRY_URL: `https://sr-user:${encodeURIComponent(REGISTRY_URL_PASSWORD)}@registry:8081`,
    OUTBOX_SCHEMA_REGISTRY_USERNAME: 'registry-user',
    OUTBOX_SCHEMA_REGISTRY_PASSWORD: 'reg-Secr3t',
  };
  const processEnv = { PGPASSWORD: 'env-PGPASSWORD' };
  const config = loadConfig({ env });
  const basicAuth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  const SECRETS = [
    DB_USER_INFO,
    DB_QUERY,
    SSL_PASSWORD,
    REGISTRY_URL_PASSWORD,
    'sasl-Secr3t',
    'reg-Secr3t',
    'env-PGPASSWORD',
  ];

  it('finds each secret of the configuration and of the environment', () => {
    const values = secretValues(config, processEnv);
    expect(values).toEqual(expect.arrayContaining(SECRETS));
    expect(values).toEqual(
      expect.arrayContaining([
        basicAuth('registry-user', 'reg-Secr3t'),
        basicAuth('sr-user', REGISTRY_URL_PASSWORD),
      ]),
    );
    // Before the configuration loads (a ConfigError to print), from the environment alone.
    expect(secretValues(environmentSettings(env), processEnv).sort()).toEqual(values.sort());
  });

  const printed: ReadonlyArray<[string, (secret: string) => string]> = [
    ['raw', (secret) => secret],
    ['percent-encoded', encodeURIComponent],
    ['form-encoded', (secret) => new URLSearchParams([['', secret]]).toString().slice(1)],
    ['JSON-escaped', (secret) => JSON.stringify(secret).slice(1, -1)],
    ['base64', (secret) => Buffer.from(secret).toString('base64')],
  ];

  it.each(printed)('scrubs each secret printed %s in free text', (_form, print) => {
    const scrub = secretScrubber(secretValues(config, processEnv));
    for (const secret of SECRETS) {
      const clean = scrub(`the driver said: bad password "${print(secret)}" for relay`);
      expect(clean, secret).toBe(`the driver said: bad password "${REDACTED}" for relay`);
    }
  });

  it('scrubs basic-auth headers and a whole DATABASE_URL in a JSON body', () => {
    const scrub = secretScrubber(secretValues(config, processEnv));
    const body = JSON.stringify({
      error: `cannot connect to ${config.databaseUrl}`,
      headers: { authorization: `Basic ${basicAuth('registry-user', 'reg-Secr3t')}` },
      registry: config.schemaRegistryUrl,
    });
    const clean = scrub(body);
    for (const needle of [...SECRETS, basicAuth('registry-user', 'reg-Secr3t')]) {
      for (const [, print] of printed) expect(clean).not.toContain(print(needle));
    }
    expect(JSON.parse(clean)).toMatchObject({
      error: expect.stringContaining(
        'cannot connect to postgres://relay:[redacted]@db-a,db-b:5433/app?password=',
      ),
      registry: 'https://sr-user:[redacted]@registry:8081',
    });
  });

  it('redactConfig shows every setting but no secret', () => {
    const text = JSON.stringify(redactConfig(config));
    for (const secret of SECRETS.filter((secret) => secret !== 'env-PGPASSWORD')) {
      for (const [, print] of printed) expect(text).not.toContain(print(secret));
    }
    expect(redactConfig(config)).toMatchObject({
      kafkaSaslPassword: REDACTED,
      schemaRegistryUsername: 'registry-user',
      schemaRegistryUrl: 'https://sr-user:[redacted]@registry:8081',
    });
  });

  it('keeps the text after a redacted parameter', () => {
    const scrub = secretScrubber(secretValues(config, processEnv));
    const message = `cannot connect to PostgreSQL at ${config.databaseUrl}: password authentication failed`;
    expect(scrub(message)).toMatch(/sslpassword=\[redacted\]: password authentication failed$/);
  });

  it('leaves short values alone: they would censor ordinary words', () => {
    const scrub = secretScrubber(['abc']);
    expect(scrub('abc def')).toBe('abc def');
  });
});

describe('isSecretKey: logged objects', () => {
  it('censors keys named like secrets, and connection strings and client TLS/SASL options', () => {
    for (const key of [
      'password',
      'sslpassword',
      'PGPASSWORD',
      'kafkaSaslPassword',
      'kafkaSslKeyPassword',
      'schemaRegistryPassword',
      'passphrase',
      'oauth_client_secret',
      'accessToken',
      'databaseUrl',
      'connectionString',
      'ssl',
      'sasl',
      'authorization',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ['user', 'host', 'passfile', 'sslkey', 'schemaRegistryUrl', 'kafkaSaslUsername']) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });
});
