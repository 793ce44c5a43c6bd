import type { Logger } from 'pino';
import type { AvroSinkObserver } from '../avro/avro-sink.js';
import { isExactlyOnce, type RelayConfig } from '../config/relay-config.js';
import type { StreamIdentity } from '../replication/stream-identity.js';
import { connectKafkaSink } from '../sinks/kafka/connect.js';
import { exactlyOnceSinks } from '../sinks/kafka/exactly-once.js';
import type { RecordSink, SinkObserver } from '../sinks/record-sink.js';
import { type SessionSinks, SinkHolder } from '../sinks/session-sinks.js';

/** What the assembled sinks report: the client's sends, and the Avro stage's registry. */
export type SinkEvents = SinkObserver & AvroSinkObserver;

export interface AssembledSinks {
  readonly sinks: SessionSinks;
  /** Exactly-once: the Kafka transactional.id of the sessions' producers. */
  readonly transactionalId: string | undefined;
}

/**
 * Every session's sink, from the configuration, for the stream and for replay alike: the client
 * OUTBOX_KAFKA_CLIENT names, behind the Avro stage when values are Avro (checked against the
 * registry now, before anything connects to Kafka); exactly-once, a transactional producer per
 * session with the stream's checkpoints. `identity` is the stream's, for exactly-once: a replay,
 * which has no stream to checkpoint, passes none and sends as at-least-once does.
 */
export async function assembleSinks(
  config: RelayConfig,
  logger: Logger,
  events: SinkEvents,
  identity: StreamIdentity | undefined,
): Promise<AssembledSinks> {
  const avro =
    config.valueEncoding === 'avro'
      ? await (await import('../avro/stage.js')).prepareAvroStage(config)
      : undefined;
  const stage = (sink: RecordSink): RecordSink => (avro ? avro.wrap(sink, events) : sink);
  if (identity && isExactlyOnce(config)) {
    const sinks = await exactlyOnceSinks(config, logger, events, identity, stage);
    return { sinks, transactionalId: sinks.transactionalId };
  }
  const connect = async () => stage(await connectKafkaSink(config, logger, events));
  return { sinks: new SinkHolder(connect, await connect()), transactionalId: undefined };
}
