import type { Logger } from 'pino';
import { secretScrubber, secretValues } from '../config/redact.js';
import type { RelayConfig } from '../config/relay-config.js';
import { connectPostgres } from '../replication/postgres-client.js';
import { slotStatus } from '../replication/slot-status.js';
import { type Listen, startHttpServer } from './http-server.js';
import { MetadataConnection } from './metadata-connection.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import { instrumentRelay } from './relay-instrumentation.js';
import type { RelayView } from './relay-view.js';
import { observabilityRoutes } from './routes.js';
import { SLOT_POLL_MS, SlotPoller } from './slot-poller.js';
import { logStateChanges } from './state-log.js';

export interface ObservabilityOptions {
  /** Where the HTTP server listens; undefined: no server, no metrics (state changes are still logged). */
  readonly listen: Listen | undefined;
  readonly slotPollMs?: number;
}

export interface Observability {
  /** The HTTP server's base URL, when one runs. */
  readonly url: string | undefined;
  readonly metrics: RelayMetrics | undefined;
  /** Stops the server, the poller and its connection, and detaches from the relay. Idempotent. */
  close(): Promise<void>;
}

/** OUTBOX_METRICS_PORT=0 turns the server off. */
export function listenFromConfig(config: RelayConfig): Listen | undefined {
  return config.metricsPort > 0 ? { port: config.metricsPort, host: config.metricsHost } : undefined;
}

/**
 * Everything an operator watches, attached from outside the relay: state-change log lines,
 * Prometheus metrics, the slot poller on its own connection, and the HTTP server. Start it
 * before `relay.start()` so /healthz answers (and /readyz says no) during start-up.
 */
export async function startObservability(
  relay: RelayView,
  config: RelayConfig,
  logger: Logger,
  options: ObservabilityOptions = { listen: listenFromConfig(config) },
): Promise<Observability> {
  const detachLog = logStateChanges(relay, logger.child({ component: 'state', slot: config.slot }));
  if (!options.listen) {
    return { url: undefined, metrics: undefined, close: async () => detachLog() };
  }
  const metrics = createRelayMetrics(relay);
  const detachMetrics = instrumentRelay(relay, metrics);
  const connection = new MetadataConnection(() =>
    connectPostgres(config.databaseUrl, 'outbox-relay metrics'),
  );
  const poller = new SlotPoller(
    connection,
    config.slot,
    metrics.slot,
    logger.child({ component: 'slot-metrics', slot: config.slot }),
    options.slotPollMs ?? SLOT_POLL_MS,
  );
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    server = await startHttpServer(
      options.listen,
      observabilityRoutes({
        relay,
        registry: metrics.registry,
        slotStatus: () => connection.use((client) => slotStatus(client, config)),
      }),
      logger.child({ component: 'http' }),
      secretScrubber(secretValues(config)),
    );
  } catch (error) {
    detachLog();
    detachMetrics();
    await connection.close();
    throw error;
  }
  poller.start();
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    metrics,
    close: () => {
      closing ??= (async () => {
        detachLog();
        detachMetrics();
        await server.close();
        await poller.stop();
        await connection.close();
      })();
      return closing;
    },
  };
}
