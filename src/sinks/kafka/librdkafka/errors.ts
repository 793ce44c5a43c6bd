import { KafkaSendError } from '../../../errors.js';
import { TOPIC_ACL_ADVICE, TRANSACTIONAL_ID_ACL_ADVICE } from '../connect-failure.js';

/** What librdkafka reports: a LibrdKafkaError, or a bare error code in a delivery report. */
export interface LibrdkafkaFailure {
  readonly code: number;
  readonly message?: string;
  readonly isFatal?: boolean;
}

/** librdkafka error codes by name (the package's CODES.ERRORS), for classifying and labelling. */
export type ErrorCodes = Readonly<Record<string, number>>;

/** librdkafka's text for a code (err2str), e.g. -195: "Local: Broker transport failure". */
export type DescribeCode = (code: number) => string;

/** The client's code for an error it knows only by text (its error events: see below). */
const UNKNOWN_CODE = -1;

/** The broker or client could not be reached: retried by librdkafka itself, for ever. */
const CONNECTION = ['ERR__TRANSPORT', 'ERR__ALL_BROKERS_DOWN', 'ERR__RESOLVE', 'ERR__TIMED_OUT'];
/** The producer is unusable: a new one must resend from the slot's confirmed position. */
const PRODUCER_FATAL = ['ERR__FATAL', 'ERR__GAPLESS_GUARANTEE'];
/** Nothing a resend can fix: the record, the topic or the credentials are wrong. */
const PERMANENT = [
  'ERR_MSG_SIZE_TOO_LARGE',
  'ERR_RECORD_LIST_TOO_LARGE',
  'ERR_TOPIC_AUTHORIZATION_FAILED',
  'ERR_CLUSTER_AUTHORIZATION_FAILED',
  'ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'ERR_TOPIC_EXCEPTION',
  'ERR_INVALID_RECORD',
  'ERR_UNSUPPORTED_VERSION',
  'ERR_INVALID_REQUIRED_ACKS',
  'ERR_UNSUPPORTED_COMPRESSION_TYPE',
  'ERR_POLICY_VIOLATION',
  'ERR__UNKNOWN_PARTITION',
  'ERR__INVALID_ARG',
  'ERR__AUTHENTICATION',
  'ERR_SASL_AUTHENTICATION_FAILED',
  'ERR__SSL',
];
/** Records librdkafka hands back unsent because the producer is being closed: not failures. */
const PURGED = ['ERR__PURGE_QUEUE', 'ERR__PURGE_INFLIGHT', 'ERR__DESTROY'];

export type FailureKind = 'connection' | 'producer-fatal' | 'permanent' | 'purged' | 'other';

/**
 * Reads librdkafka's codes once: names for labels and the kind of each failure. The client's
 * error events carry no code, only librdkafka's text for it lowercased and without its
 * "Local: " or "Broker: " prefix (code -1): those are matched by that text.
 */
export class LibrdkafkaErrors {
  private readonly names = new Map<number, string>();
  private readonly byText = new Map<string, number>();

  constructor(codes: ErrorCodes, describe: DescribeCode) {
    for (const [name, code] of Object.entries(codes)) {
      this.names.set(code, name);
      this.byText.set(eventText(describe(code)), code);
    }
  }

  /** The failure's code, found by its text when the client gave none. */
  code(failure: LibrdkafkaFailure): number {
    if (failure.code !== UNKNOWN_CODE || failure.message === undefined) return failure.code;
    return this.byText.get(eventText(failure.message)) ?? UNKNOWN_CODE;
  }

  /** The name of a failure's code, e.g. ERR__TRANSPORT. */
  name(failure: LibrdkafkaFailure): string {
    const code = this.code(failure);
    return this.names.get(code) ?? `ERR_${code}`;
  }

  kind(failure: LibrdkafkaFailure): FailureKind {
    const name = this.name(failure);
    if (PURGED.includes(name)) return 'purged';
    // Before the fatal flag: librdkafka marks a refused transactional id fatal, and no producer fixes it.
    if (PERMANENT.includes(name)) return 'permanent';
    if (failure.isFatal || PRODUCER_FATAL.includes(name)) return 'producer-fatal';
    if (CONNECTION.includes(name)) return 'connection';
    return 'other';
  }

  /**
   * The relay's error for a failure: connection failures carry no broker error type (their
   * metric reason is 'connection'); a fatal producer error is retriable (a new producer resends
   * from the slot); permanent ones are not, and say which setting to check.
   */
  toSendError(failure: LibrdkafkaFailure, context: string): KafkaSendError {
    const kind = this.kind(failure);
    const name = this.name(failure);
    const message = `Kafka (librdkafka): ${context}: ${failure.message || name} (${name})${hint(name)}`;
    const brokerErrorType = kind === 'connection' ? undefined : name.replace(/^ERR_/, '');
    return new KafkaSendError(message, brokerErrorType, kind !== 'permanent', { cause: failure });
  }
}

/** An error text as the client's error events give it: lowercased, without its origin prefix. */
function eventText(text: string): string {
  const separator = text.indexOf(': ');
  return (separator < 0 ? text : text.slice(separator + 2)).toLowerCase();
}

function hint(name: string): string {
  if (name === 'ERR__AUTHENTICATION' || name === 'ERR_SASL_AUTHENTICATION_FAILED')
    return '; check OUTBOX_KAFKA_SASL_MECHANISM, OUTBOX_KAFKA_SASL_USERNAME and OUTBOX_KAFKA_SASL_PASSWORD';
  if (name === 'ERR__SSL') return '; check OUTBOX_KAFKA_SSL and the brokers’ certificates';
  if (name === 'ERR_MSG_SIZE_TOO_LARGE')
    return "; keep OUTBOX_MAX_RECORD_BYTES under the broker's message.max.bytes";
  if (name === 'ERR_TOPIC_AUTHORIZATION_FAILED') return `; ${TOPIC_ACL_ADVICE}`;
  if (name === 'ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED') return `; ${TRANSACTIONAL_ID_ACL_ADVICE}`;
  if (name.endsWith('AUTHORIZATION_FAILED')) return "; grant the relay's principal the ACL this names";
  return '';
}
