import pino, { type Logger } from 'pino';
import { scrubSecrets } from '../config/redact.js';
import type { LogLevel } from '../config/relay-config.js';

/** Keys that never reach a log line, wherever they appear in a logged object. */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'connectionString',
  '*.connectionString',
  'kafkaSaslPassword',
  '*.kafkaSaslPassword',
  'sasl',
  '*.sasl',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly pretty: boolean;
  readonly destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const config: pino.LoggerOptions = {
    name: 'outbox-relay',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  if (options.destination) return pino(config, options.destination);
  if (options.pretty)
    return pino({ ...config, transport: { target: 'pino-pretty', options: { destination: 1 } } });
  return pino(config, pino.destination(1));
}

function serializeError(error: unknown): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(serialized)) {
    if (REDACTED_PATHS.includes(key)) continue;
    clean[key] = typeof value === 'string' ? scrubSecrets(value) : value;
  }
  return clean;
}

export type { Logger };
