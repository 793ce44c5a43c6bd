import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { redactConfig, secretValues } from '../../src/config/redact.js';
import { wantsPretty } from '../../src/observability/logger.js';
import { collectLogs } from '../support/log-lines.js';

const DB_PASSWORD_ENCODED = 'Db-Pa55word%21x';
const DB_PASSWORD = 'Db-Pa55word!x';
const SASL_PASSWORD = 'Sasl-Secr3t-Value';
const REGISTRY_PASSWORD = 'Registry-Secr3t-Value';
const REGISTRY_URL_PASSWORD = 'Url-Secr3t-Value';
const DATABASE_URL = `postgres://relay:${DB_PASSWORD_ENCODED}@db.internal:5432/app`;
const REGISTRY_BASIC_AUTH = Buffer.from(`relay:${REGISTRY_PASSWORD}`).toString('base64');
const SECRETS = [
  DB_PASSWORD_ENCODED,
  DB_PASSWORD,
  SASL_PASSWORD,
  REGISTRY_PASSWORD,
  REGISTRY_URL_PASSWORD,
  REGISTRY_BASIC_AUTH,
];

const config = loadConfig({
  env: {
    DATABASE_URL,
    KAFKA_BROKERS: 'kafka:9092',
    OUTBOX_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    OUTBOX_KAFKA_SASL_USERNAME: 'relay',
    OUTBOX_KAFKA_SASL_PASSWORD: SASL_PASSWORD,
    OUTBOX_VALUE_ENCODING: 'avro',
    OUTBOX_SCHEMA_REGISTRY_URL: `https://sr:${REGISTRY_URL_PASSWORD}@registry.internal:8081`,
    OUTBOX_SCHEMA_REGISTRY_USERNAME: 'relay',
    OUTBOX_SCHEMA_REGISTRY_PASSWORD: REGISTRY_PASSWORD,
  },
});

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** What node-postgres puts on a failed connection's error, URL and decoded password included. */
function pgStyleFields() {
  return {
    severity: 'FATAL',
    code: '28P01',
    detail: `connection to ${DATABASE_URL} refused`,
    hint: `check the password in ${DATABASE_URL}`,
    client: {
      connectionParameters: { user: 'relay', password: DB_PASSWORD, connectionString: DATABASE_URL },
    },
  };
}

/** Ways a secret could reach a log line: each is logged at every level. */
const CASES: ReadonlyArray<[string, (log: Logger, level: (typeof LEVELS)[number]) => void]> = [
  ['the redacted config', (log, level) => log[level]({ config: redactConfig(config) }, 'starting')],
  ['the raw config, forgotten unredacted', (log, level) => log[level]({ config }, 'starting')],
  ['the raw config as the log object', (log, level) => log[level](config, 'starting')],
  [
    'an error whose message (and so stack) holds the URL',
    (log, level) => log[level]({ err: new Error(`cannot connect to ${DATABASE_URL}`) }, 'failed'),
  ],
  ['the same error as the only argument', (log, level) => log[level](new Error(`lost ${DATABASE_URL}`))],
  [
    'an error under another key, with a cause holding the URL',
    (log, level) =>
      log[level]({ error: new Error('retrying', { cause: new Error(`at ${DATABASE_URL}`) }) }, 'retrying'),
  ],
  [
    'a pg Error with the URL and password in its fields',
    (log, level) =>
      log[level]({ err: Object.assign(new Error('password authentication failed'), pgStyleFields()) }, 'x'),
  ],
  [
    'a plain pg-style error object',
    (log, level) => log[level]({ err: { message: 'auth failed', stack: 'at pg', ...pgStyleFields() } }, 'x'),
  ],
  [
    'a kafkajs-style error carrying the SASL options',
    (log, level) =>
      log[level](
        {
          err: Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
            broker: {
              options: { sasl: { mechanism: 'scram-sha-512', username: 'relay', password: SASL_PASSWORD } },
            },
          }),
        },
        'kafka',
      ),
  ],
  [
    'a schema registry error holding its request, basic auth header included',
    (log, level) =>
      log[level](
        {
          err: Object.assign(new Error('the schema registry answered 401'), {
            request: {
              url: `https://sr:${REGISTRY_URL_PASSWORD}@registry.internal:8081/subjects`,
              headers: { authorization: `Basic ${REGISTRY_BASIC_AUTH}` },
            },
          }),
        },
        'registry',
      ),
  ],
  ['the URL in the message', (log, level) => log[level](`reconnecting to ${DATABASE_URL}`)],
  ['the URL as a format argument', (log, level) => log[level]('reconnecting to %s', DATABASE_URL)],
  ['the URL in an array', (log, level) => log[level]({ targets: [DATABASE_URL, 'kafka:9092'] }, 'targets')],
  [
    'a child logger bound to the URL',
    (log, level) => log.child({ databaseUrl: DATABASE_URL, target: DATABASE_URL })[level]('child'),
  ],
];

function logEverything(logger: Logger): void {
  for (const [, write] of CASES) for (const level of LEVELS) write(logger, level);
}

function leaks(lines: readonly string[]): string[] {
  return lines.filter((line) => SECRETS.some((secret) => line.includes(secret)));
}

describe('logs never contain the database, SASL or schema registry password', () => {
  it('as `run` creates its logger: no line at any level leaks, and every line was written', () => {
    const logs = collectLogs();
    logEverything(logs.logger);
    expect(logs.raw).toHaveLength(CASES.length * LEVELS.length);
    expect(leaks(logs.raw)).toEqual([]);
    const text = logs.raw.join('');
    // Censored, not dropped: the lines still say what happened and where.
    expect(text).toContain('postgres://relay:[redacted]@db.internal:5432/app');
    expect(text).toContain('"code":"28P01"');
    expect(text).toContain('SASL SCRAM SHA512 authentication failed');
    expect(text).toContain('"type":"Error"');
    expect(text).toMatch(/"stack":"Error: cannot connect to postgres:\/\/relay:\[redacted\]@db\.internal/);
    for (const line of logs.raw) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('with the configured secrets: even a bare password in free text is censored', () => {
    const logs = collectLogs({ secrets: secretValues(config, {}) });
    logEverything(logs.logger);
    logs.logger.error(`broker said: bad password ${SASL_PASSWORD}`);
    logs.logger.error({ note: `decoded ${DB_PASSWORD}` }, 'oops');
    expect(logs.raw).toHaveLength(CASES.length * LEVELS.length + 2);
    expect(leaks(logs.raw)).toEqual([]);
    expect(logs.raw.at(-2)).toContain('bad password [redacted]');
  });

  it('keeps JSON lines intact when a URL without password precedes an @', () => {
    const logs = collectLogs();
    logs.logger.info({ url: 'http://localhost:9464', email: 'ops@example.com' }, 'hello');
    expect(JSON.parse(logs.raw[0] ?? '')).toMatchObject({
      url: 'http://localhost:9464',
      email: 'ops@example.com',
    });
  });
});

describe('pretty logs', () => {
  it('are chosen by --pretty or OUTBOX_LOG_PRETTY, or when stdout is a terminal', () => {
    expect(wantsPretty({ pretty: false, tty: false })).toBe(false);
    expect(wantsPretty({ pretty: false, tty: true })).toBe(true);
    expect(wantsPretty({ pretty: true, tty: false })).toBe(true);
  });
});
