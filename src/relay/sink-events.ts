import type { Logger } from 'pino';
import type { SinkEvents } from '../pipeline/sink-assembly.js';
import type { RelayEvents, RelayState } from '../relay-events.js';

/** What the relay makes of its sinks' reports: its state, its logs, and events for its metrics. */
export function relaySinkEvents(
  logger: Logger,
  setState: (state: RelayState) => void,
  emit: <K extends keyof RelayEvents>(event: K, ...args: RelayEvents[K]) => void,
): SinkEvents {
  return {
    batchSent: (events, bytes, seconds) => emit('batch:sent', events, bytes, seconds),
    sendFailed: (error, attempt, delayMs) => {
      if (attempt === 0) logger.warn({ err: error }, 'Kafka unavailable; retrying with backoff');
      // At debug: when the next try comes (kafkajs's can come OUTBOX_RETRY_MAX_MS after Kafka is back).
      else logger.debug({ err: error, attempt, delayMs }, 'Kafka still unavailable; retrying');
      setState('kafka-unavailable');
      emit('batch:failed', error, attempt, delayMs);
    },
    sendRecovered: () => {
      logger.info('Kafka reachable again');
      setState('streaming');
    },
    registryFailed: (error, attempt, delayMs) => {
      if (attempt === 0) logger.warn({ err: error }, 'schema registry unavailable; retrying with backoff');
      setState('registry-unavailable');
      emit('registry:failed', error, attempt, delayMs);
    },
    registryRecovered: () => {
      logger.info('schema registry reachable again');
      setState('streaming');
    },
  };
}
