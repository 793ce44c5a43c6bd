import type { Logger } from 'pino';
import type { RelayConfig } from '../../config/relay-config.js';
import type { StreamIdentity } from '../../replication/stream-identity.js';
import type { RecordSink, SinkObserver } from '../record-sink.js';
import { retriableUnlessRefused, type SessionSinks } from '../session-sinks.js';
import { connectTransactionalSink } from './connect.js';
import { transactionalIdOf } from './transactional-id.js';

/**
 * Exactly-once: the checkpoint topic now (a clear error if Kafka cannot be reached), and a
 * transactional producer for each session once it holds the leader lock, never before: a
 * standby that connected one would fence the leader's. `stage` puts the stages that rewrite
 * records (Avro) in front of each session's sink.
 */
export async function exactlyOnceSinks(
  config: RelayConfig,
  logger: Logger,
  observer: SinkObserver,
  identity: StreamIdentity,
  stage: (sink: RecordSink) => RecordSink,
): Promise<SessionSinks & { readonly transactionalId: string }> {
  const { openCheckpoints } = await import('./kafkajs/connect.js');
  const checkpoints = await openCheckpoints(config, logger, identity);
  return {
    transactionalId: transactionalIdOf(config, identity),
    open: async () => {
      const kafka = await connectTransactionalSink(config, logger, observer, checkpoints.target).catch(
        retriableUnlessRefused,
      );
      try {
        const checkpoint = await checkpoints.read();
        return { sink: stage(kafka), checkpoint };
      } catch (error) {
        await kafka.close();
        throw retriableUnlessRefused(error);
      }
    },
    release: (sink) => sink.close(),
    close: async () => undefined,
  };
}
