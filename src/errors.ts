/**
 * One family of errors. Each says what went wrong and what to do about it, and whether
 * retrying can help; the retry loops decide by `retriable` alone.
 */
export abstract class RelayError extends Error {
  abstract readonly retriable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An error classified where it arose: by a code of its source (a SQLSTATE, a broker error type,
 * an HTTP status), which also decided whether retrying can help.
 */
abstract class ClassifiedError<Code> extends RelayError {
  constructor(
    message: string,
    readonly classifiedBy: Code | undefined,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad configuration: fatal, names the field and the expected form. */
export class ConfigError extends RelayError {
  readonly retriable = false;

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The database is not set up as the relay needs (wal_level, privileges, table, slot). */
export class SetupError extends RelayError {
  readonly retriable = false;
}

/** An error from the replication connection, classified by SQLSTATE. */
export class ReplicationError extends ClassifiedError<string> {
  /** The SQLSTATE it was classified by, when the server sent one. */
  get sqlState(): string | undefined {
    return this.classifiedBy;
  }
}

/**
 * Several hosts of DATABASE_URL accept writes and their timelines cannot tell which is the primary:
 * the relay streams from none of them, and asks again after a backoff.
 */
export class SplitBrainError extends ReplicationError {
  constructor(message: string) {
    super(message, undefined, true);
  }
}

/** The replication stream carried bytes we cannot decode: a protocol bug, never retried. */
export class DecodeError extends RelayError {
  readonly retriable = false;

  constructor(
    message: string,
    readonly tag: number | undefined,
    readonly lsnText: string | undefined,
  ) {
    super(message);
  }
}

/** A send to Kafka failed; `retriable` follows the broker's verdict. */
export class KafkaSendError extends ClassifiedError<string> {
  /** The broker's (or client's) error type it was classified by, when there is one. */
  get brokerErrorType(): string | undefined {
    return this.classifiedBy;
  }
}

/** A Schema Registry call failed; retriable when the registry is down or overloaded, not when it refused. */
export class SchemaRegistryError extends ClassifiedError<number> {
  /** The HTTP status it was classified by, when the registry answered. */
  get status(): number | undefined {
    return this.classifiedBy;
  }
}

/** A row of the outbox that cannot become a Kafka record (null key, bad topic, too large). */
export class PoisonEventError extends RelayError {
  readonly retriable = false;

  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export function isRetriable(error: unknown): boolean {
  return error instanceof RelayError && error.retriable;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
