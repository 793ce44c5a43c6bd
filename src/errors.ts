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
export class ReplicationError extends RelayError {
  readonly retriable: boolean;

  constructor(
    message: string,
    readonly sqlState: string | undefined,
    retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retriable = retriable;
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
export class KafkaSendError extends RelayError {
  readonly retriable: boolean;

  constructor(
    message: string,
    readonly brokerErrorType: string | undefined,
    retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retriable = retriable;
  }
}

/** A Schema Registry call failed; retriable when the registry is down or overloaded, not when it refused. */
export class SchemaRegistryError extends RelayError {
  readonly retriable: boolean;

  constructor(
    message: string,
    readonly status: number | undefined,
    retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retriable = retriable;
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
