import type { Logger } from 'pino';
import type { RelayConfig } from '../../../config/relay-config.js';
import { KafkaSendError } from '../../../errors.js';
import type { SinkObserver } from '../../record-sink.js';
import { connectFailed } from '../connect-failure.js';
import type { LibrdkafkaErrors, LibrdkafkaFailure } from './errors.js';
import { type Librdkafka, loadLibrdkafka } from './load.js';
import { type LibrdkafkaSettings, librdkafkaSettings, librdkafkaTransactionalSettings } from './settings.js';
import { LibrdkafkaSink, type NativeProducer } from './sink.js';
import { LibrdkafkaTransactions, type NativeTransactionalProducer } from './transactions.js';

/** syslog's level for errors: librdkafka logs why a broker connection failed at this level. */
const SYSLOG_ERROR = 3;

/** How long the first metadata request may take before the brokers count as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

type Producer = InstanceType<Librdkafka['Producer']>;

/** librdkafka's log lines (syslog levels), at debug: the sink reports what matters itself. */
interface LogEvent {
  readonly severity: number;
  readonly fac: string;
  readonly message: string;
}

/** The librdkafka sink, connected: brokers that cannot be reached are a clear, fatal error. */
export async function connectLibrdkafkaSink(
  config: RelayConfig,
  logger: Logger,
  observer: SinkObserver,
): Promise<LibrdkafkaSink> {
  const { producer, errors, log } = await connectProducer(config, logger, librdkafkaSettings(config));
  // Delivery reports reach the event loop from librdkafka's own thread, as they arrive.
  producer.setPollInBackground(true);
  return new LibrdkafkaSink(producer as unknown as NativeProducer, errors, observer, log);
}

/** librdkafka's transactional producer, connected, every earlier producer of its transactional id fenced. */
export async function connectLibrdkafkaTransactions(
  config: RelayConfig,
  logger: Logger,
  transactionalId: string,
): Promise<LibrdkafkaTransactions> {
  const { producer, errors } = await connectProducer(
    config,
    logger,
    librdkafkaTransactionalSettings(config, transactionalId),
  );
  // Error events and logs, between the transactional calls.
  producer.setPollInBackground(true);
  const transactions = new LibrdkafkaTransactions(producer as unknown as NativeTransactionalProducer, errors);
  try {
    await transactions.init();
  } catch (error) {
    await transactions.close();
    throw error;
  }
  return transactions;
}

async function connectProducer(
  config: RelayConfig,
  logger: Logger,
  settings: LibrdkafkaSettings,
): Promise<{ producer: Producer; errors: LibrdkafkaErrors; log: Logger }> {
  const { client, errors } = loadLibrdkafka();
  const producer = new client.Producer(settings.global, settings.topic);
  const log = logger.child({ component: 'librdkafka' });
  // A failed connect reports only "broker transport failure"; the why (TLS, SASL) is in the log.
  let lastFailure: string | undefined;
  producer.on('event.log', (event: LogEvent) => {
    log.debug({ facility: event.fac }, event.message);
    if (event.severity <= SYSLOG_ERROR) lastFailure = withoutThreadAndTiming(event.message);
  });
  try {
    await connect(producer);
  } catch (error) {
    // The client disconnected itself when its first metadata request failed.
    const failure = errors.toSendError(error as LibrdkafkaFailure, 'cannot connect');
    if (failure.brokerErrorType === undefined) {
      const detail = lastFailure ? `${failure.message}: ${lastFailure}` : failure.message;
      throw connectFailed(config, detail, undefined, error);
    }
    throw new KafkaSendError(failure.message, failure.brokerErrorType, false, { cause: error });
  }
  return { producer, errors, log };
}

function connect(producer: Producer): Promise<void> {
  return new Promise((resolve, reject) => {
    producer.connect({ timeout: CONNECT_TIMEOUT_MS }, (error) => (error ? reject(error) : resolve()));
  });
}

/** "[thrd:…]: sasl_ssl://host:port/bootstrap: SSL handshake failed: … (after 4ms in state …)" without its thread and timing. */
function withoutThreadAndTiming(message: string): string {
  return message.replace(/^\[thrd:[^\]]*\]:\s*/, '').replace(/\s*\(after \d+ms in state [^)]*\)$/, '');
}
