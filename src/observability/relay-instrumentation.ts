import { eventsOf } from '../checkpoint/published-history.js';
import { KafkaSendError } from '../errors.js';
import type { RelayMetrics } from './metrics.js';
import { listen, type RelayView } from './relay-view.js';

/**
 * Feeds the metrics from the relay's typed events, so the pipeline knows nothing of
 * Prometheus. Returns a function that detaches every listener.
 */
export function instrumentRelay(relay: RelayView, metrics: RelayMetrics): () => void {
  // Often, so the labelled child is looked up once per topic, not hashed on every call.
  const publishedByTopic = new Map<string, { inc(events: number): void }>();
  const detach = [
    listen(relay, 'events:acknowledged', (topic, events, commitTimeMs, ackTimeMs) => {
      let published = publishedByTopic.get(topic);
      if (!published) {
        published = metrics.published.labels(topic);
        publishedByTopic.set(topic, published);
      }
      published.inc(events);
      // Clocks of the database host and this one may differ slightly; a negative latency is
      // skew, not a measurement, and would corrupt the histogram's sum.
      metrics.endToEndLatency.observe(Math.max(0, ackTimeMs - commitTimeMs) / 1000, events);
    }),
    listen(relay, 'batch:sent', (events, _bytes, seconds) => {
      if (seconds !== undefined) metrics.publishDuration.observe(seconds);
      metrics.batchSize.observe(events);
      metrics.lastAckTimestamp.set(Date.now() / 1000);
    }),
    listen(relay, 'batch:failed', (error) => {
      metrics.publishErrors.inc({ reason: publishErrorReason(error) });
    }),
    // A failure that no retry can fix ends the session without a 'batch:failed' event.
    listen(relay, 'replication:error', (error) => {
      if (error instanceof KafkaSendError) metrics.publishErrors.inc({ reason: publishErrorReason(error) });
    }),
    listen(relay, 'registry:failed', (error) => {
      metrics.registryErrors.inc({
        reason: error.status === undefined ? 'connection' : String(error.status),
      });
    }),
    listen(relay, 'event:dead-lettered', (reason) => {
      metrics.deadLettered.inc({ reason });
    }),
    listen(relay, 'event:skipped', () => {
      metrics.skipped.inc();
    }),
    listen(relay, 'history:diverged', (divergence) => {
      metrics.historyDivergences.inc();
      metrics.missingOnServer.inc(eventsOf(divergence.missing));
    }),
    listen(relay, 'retention:deleted', (rows) => {
      metrics.retentionDeleted.inc(rows);
    }),
    listen(relay, 'retention:observed', (tableBytes, oldestRowAgeSeconds) => {
      metrics.tableBytes.set(tableBytes);
      metrics.oldestRowAge.set(oldestRowAgeSeconds);
    }),
  ];
  return () => {
    for (const off of detach) off();
  };
}

/** The broker's error type (a bounded set of names), or 'connection' when no broker answered. */
export function publishErrorReason(error: KafkaSendError): string {
  return error.brokerErrorType ?? 'connection';
}
