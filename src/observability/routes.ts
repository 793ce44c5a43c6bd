import type { Registry } from 'prom-client';
import { errorMessage } from '../errors.js';
import { formatLsn } from '../replication/lsn.js';
import type { StatusReport } from '../replication/slot-status.js';
import { json, type Reply, type Routes, text } from './http-server.js';
import { isReady, pendingAgeSeconds, type RelayView } from './relay-view.js';

export interface RouteSources {
  readonly relay: RelayView;
  readonly registry: Registry;
  /** What `outbox-relay status --json` prints, read from PostgreSQL. */
  readonly slotStatus: () => Promise<StatusReport>;
}

/**
 * /healthz: the process runs (liveness; never restart a relay for being behind).
 * /readyz: events flow, i.e. the relay streams (readiness; false while connecting, backing
 * off, Kafka unavailable, draining, standing by, stopped or failed).
 * /metrics: Prometheus text. /status: the status command's JSON plus the relay's own view.
 */
export function observabilityRoutes(sources: RouteSources): Routes {
  const { relay, registry } = sources;
  return new Map<string, () => Reply | Promise<Reply>>([
    ['/healthz', () => text(200, 'ok')],
    ['/readyz', () => (isReady(relay.state) ? text(200, 'ready') : text(503, `not ready: ${relay.state}`))],
    [
      '/metrics',
      async () => ({ status: 200, contentType: registry.contentType, body: await registry.metrics() }),
    ],
    ['/status', () => statusReply(sources)],
  ]);
}

async function statusReply({ relay, slotStatus }: RouteSources): Promise<Reply> {
  const view = {
    state: relay.state,
    ready: isReady(relay.state),
    inflightEvents: relay.inflightEvents,
    inflightBytes: relay.inflightBytes,
    confirmedLsn: formatLsn(relay.confirmed),
    oldestPendingAgeSeconds: pendingAgeSeconds(relay),
    lastConfirmedCommitAt:
      relay.lastConfirmedCommitTimeMs === undefined
        ? null
        : new Date(relay.lastConfirmedCommitTimeMs).toISOString(),
  };
  try {
    return json(200, { ...(await slotStatus()), relay: view });
  } catch (error) {
    // The relay's own view is still worth having when the database is not reachable.
    return json(503, { error: errorMessage(error), relay: view });
  }
}
