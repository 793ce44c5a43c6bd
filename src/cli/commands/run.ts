import type { Logger } from 'pino';
import type { RelayConfig } from '../../config/relay-config.js';
import { onStopSignals } from '../../lifecycle/stop-signals.js';
import { startObservability } from '../../observability/observability.js';
import { OutboxRelay } from '../../relay/relay.js';

/**
 * `outbox-relay run`: the first SIGTERM/SIGINT drains (stop reading, wait for Kafka's
 * acknowledgements, confirm); a second one exits at once. Either way nothing unacknowledged
 * is confirmed, so the server resends it on the next start.
 */
export async function runUntilSignalled(config: RelayConfig, logger: Logger): Promise<number> {
  const relay = new OutboxRelay(config, logger.child({ component: 'relay', slot: config.slot }));
  // Before start(): /healthz answers and /readyz says no while the relay checks and connects.
  const observability = await startObservability(relay, config, logger);
  const removeSignalHandlers = onStopSignals(
    (signal) => {
      logger.info({ signal }, 'draining; send the signal again to exit at once');
      void relay.stop();
    },
    (signal) => logger.warn({ signal }, 'exiting without draining'),
  );
  try {
    await relay.start();
    await relay.done;
    return 0;
  } finally {
    removeSignalHandlers();
    await observability.close();
    logger.flush();
  }
}
