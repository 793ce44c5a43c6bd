import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import { REDACTED, SECRET_KEYS, scrubSecrets, secretScrubber } from '../config/redact.js';
import type { LogLevel } from '../config/relay-config.js';
import { sanitize } from './log-sanitize.js';

/** pino's own redaction, the fast first pass for the usual shapes (one level deep). */
const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`]);

/** Errors nested in errors deeper than this are not written out. */
const MAX_ERROR_NESTING = 3;

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Human-readable lines. Also chosen when stdout is a terminal; pipe the output to get JSON there. */
  readonly pretty: boolean;
  readonly destination?: pino.DestinationStream;
  /** Secret values censored wherever they appear in a line (secretValues of src/config/redact.ts). */
  readonly secrets?: readonly string[];
  /** Whether stdout is a terminal; process.stdout.isTTY unless given (tests). */
  readonly tty?: boolean;
}

/**
 * The relay's logger. Secrets are kept out at three levels: pino's redact paths, a deep
 * sanitize of every logged object and error (secret keys, and secrets in strings), and a scrub of
 * each serialized line for secrets in text and the configured secret values (secretScrubber).
 */
export function createLogger(options: LoggerOptions): Logger {
  const config: pino.LoggerOptions = {
    name: 'outbox-relay',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
    serializers: { err: (error: unknown) => serializeError(error, 0) },
    formatters: {
      // Child-logger bindings and the message of an Error logged alone bypass this formatter:
      // the redact paths and the line scrub below cover those.
      // `err` is left to its serializer, which must see the Error itself to name its type.
      log: ({ err, ...fields }) => {
        const clean = sanitize(fields, serializeNested(0)) as Record<string, unknown>;
        return err === undefined ? clean : { ...clean, err };
      },
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
      streamWrite: secretScrubber(options.secrets ?? []),
    },
  };
  if (options.destination) return pino(config, options.destination);
  if (wantsPretty(options) && prettyPrinterInstalled()) {
    return pino({ ...config, transport: { target: 'pino-pretty', options: { destination: 1 } } });
  }
  const logger = pino(config, pino.destination(1));
  // The production image installs no dev dependencies; JSON is the safe fallback.
  if (options.pretty) logger.warn('pino-pretty is not installed: logging JSON lines');
  return logger;
}

/** --pretty or OUTBOX_LOG_PRETTY, or a person at a terminal; JSON lines when piped or collected. */
export function wantsPretty(options: Pick<LoggerOptions, 'pretty' | 'tty'>): boolean {
  return options.pretty || (options.tty ?? process.stdout.isTTY === true);
}

function serializeError(error: unknown, nesting: number): unknown {
  // Not only Errors arrive here: drivers and callers also log plain error-like objects.
  if (!(error instanceof Error)) return sanitize(error, serializeNested(nesting + 1));
  const serialized = { ...(pino.stdSerializers.err(error) as unknown as Record<string, unknown>) };
  return sanitize(serialized, serializeNested(nesting + 1));
}

function serializeNested(nesting: number): (error: Error) => unknown {
  return (error) => (nesting > MAX_ERROR_NESTING ? '[omitted]' : serializeError(error, nesting));
}

function prettyPrinterInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export type { Logger };
