import type { Logger } from 'pino';
import type { StoredCheckpoint } from '../../../checkpoint/stored-checkpoint.js';
import type { RelayConfig } from '../../../config/relay-config.js';
import { KafkaSendError } from '../../../errors.js';
import type { StreamIdentity } from '../../../replication/stream-identity.js';
import type { RecordSink, SinkObserver } from '../../record-sink.js';
import { checkpointKey } from '../checkpoint-record.js';
import type { CheckpointTarget, TransactionalProducer } from '../checkpointing-sender.js';
import { connectFailed, TRANSACTIONAL_ID_ACL_ADVICE } from '../connect-failure.js';
import { CheckpointStore } from './checkpoint-store.js';
import { createKafka } from './client.js';
import { KafkajsProducer } from './producer.js';
import { classifyKafkaError, kafkaErrorText } from './send-errors.js';
import { kafkajsSink } from './sink.js';
import { toTopicMessages } from './topic-messages.js';

/** The kafkajs sink, connected: a broker that cannot be reached is a clear, fatal error. */
export async function connectKafkajsSink(
  config: RelayConfig,
  logger: Logger,
  observer: SinkObserver,
): Promise<RecordSink> {
  const producer = new KafkajsProducer(createKafka(config, logger), config.kafkaCompression);
  await connectProducer(config, producer);
  return kafkajsSink(producer, config, observer);
}

/** The kafkajs transactional producer, connected, every earlier producer of its transactional id fenced. */
export async function connectKafkajsTransactions(
  config: RelayConfig,
  logger: Logger,
  transactionalId: string,
): Promise<TransactionalProducer> {
  const producer = new KafkajsProducer(createKafka(config, logger), config.kafkaCompression, transactionalId);
  await connectProducer(config, producer);
  try {
    await producer.fence();
  } catch (error) {
    await producer.disconnect().catch(() => undefined);
    throw coordinatorNotFound(error, transactionalId) ?? classifyKafkaError(error);
  }
  return {
    commit: (records) =>
      producer.sendInTransaction(toTopicMessages(records)).catch((error: unknown) => {
        throw classifyKafkaError(error);
      }),
    close: () => producer.disconnect(),
  };
}

/**
 * kafkajs reports a transaction coordinator it could not find, whatever the broker said (an ACL
 * refusing the transactional id, a transaction state log not available), only as "Failed to find
 * group coordinator": say both causes. Retriable: the log may be on its way.
 */
function coordinatorNotFound(error: unknown, transactionalId: string): KafkaSendError | undefined {
  if ((error as { name?: string }).name !== 'KafkaJSGroupCoordinatorNotFound') return undefined;
  return new KafkaSendError(
    `Kafka: no transaction coordinator for transactional id ${transactionalId} (kafkajs: "Failed to find group coordinator"): ` +
      `either ${TRANSACTIONAL_ID_ACL_ADVICE}, or the brokers' transaction state log is not available (transaction.state.log.replication.factor and min.isr above the brokers running)`,
    'COORDINATOR_NOT_AVAILABLE',
    true,
    { cause: error },
  );
}

async function connectProducer(config: RelayConfig, producer: KafkajsProducer): Promise<void> {
  try {
    await producer.connect();
  } catch (error) {
    const failure = classifyKafkaError(error);
    // A transactional producer's connect also asks for its producer id: the refusal says which ACL.
    if (failure.brokerErrorType?.endsWith('AUTHORIZATION_FAILED')) throw failure;
    // connectFailed gives the advice for a failed connect; the text alone goes in.
    throw connectFailed(config, kafkaErrorText(error), failure.brokerErrorType, error);
  }
}

/** What the relay reads and writes of its stream's checkpoints (exactly-once). */
export interface Checkpoints {
  readonly target: CheckpointTarget;
  /** The last checkpoint a committed Kafka transaction holds: read after the producer fenced the earlier ones. */
  read(): Promise<StoredCheckpoint | undefined>;
}

/** The checkpoint topic, created when missing: an unreachable broker is a clear, fatal error here. */
export async function openCheckpoints(
  config: RelayConfig,
  logger: Logger,
  identity: StreamIdentity,
): Promise<Checkpoints> {
  const key = checkpointKey(identity);
  const store = new CheckpointStore(createKafka(config, logger), config.checkpointTopic, key);
  let partition: number;
  try {
    partition = await store.prepare();
  } catch (error) {
    const failure = classifyKafkaError(error);
    if (failure.brokerErrorType !== undefined) throw checkpointTopicFailed(config, failure);
    throw connectFailed(config, kafkaErrorText(error), undefined, error);
  }
  return {
    target: { topic: config.checkpointTopic, partition, key, identity },
    read: () => store.read(partition),
  };
}

function checkpointTopicFailed(config: RelayConfig, failure: KafkaSendError): KafkaSendError {
  return new KafkaSendError(
    `cannot prepare the checkpoint topic ${config.checkpointTopic}: ${failure.message}. Create it (compacted), or grant ` +
      "the relay's principal CREATE, DESCRIBE, READ and WRITE on it (docs/exactly-once.md)",
    failure.brokerErrorType,
    false,
    { cause: failure },
  );
}
