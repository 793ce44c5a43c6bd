import type { RelayEvents, RelayState } from '../relay-events.js';
import type { Lsn } from '../replication/lsn.js';

/**
 * What observability reads from a relay: its getters and typed events. OutboxRelay fits it;
 * tests pass a fake, so metrics and health are checked without PostgreSQL or Kafka.
 */
export interface RelayView {
  readonly state: RelayState;
  readonly inflightEvents: number;
  readonly inflightBytes: number;
  readonly confirmed: Lsn;
  /** For lag in seconds: undefined when nothing is pending, or nothing was confirmed yet. */
  readonly oldestPendingCommitTimeMs: number | undefined;
  readonly lastConfirmedCommitTimeMs: number | undefined;
  on<K extends keyof RelayEvents & string>(event: K, listener: (...args: RelayEvents[K]) => void): unknown;
  off<K extends keyof RelayEvents & string>(event: K, listener: (...args: RelayEvents[K]) => void): unknown;
}

/**
 * Every state, with the line logged on entering it. A Record, so that a state added to
 * RelayState without a line here (and so without a value of outbox_relay_state) fails to compile.
 */
export const STATE_LINES: Readonly<Record<RelayState, string>> = {
  starting: 'starting',
  standby: 'standing by: another relay streams this slot',
  fenced:
    "standing by: a relay of another stream uses this relay's transactional id; give each its own OUTBOX_TRANSACTIONAL_ID",
  connecting: 'connecting to PostgreSQL',
  streaming: 'streaming',
  'kafka-unavailable': 'Kafka unavailable: holding events, retrying with backoff, confirming nothing',
  'registry-unavailable':
    'schema registry unavailable: holding events, retrying with backoff, confirming nothing',
  'backing-off': 'replication interrupted: backing off before reconnecting',
  draining: 'draining: reading nothing more, waiting for Kafka to acknowledge what is in flight',
  stopped: 'stopped',
  failed: 'failed',
};

export const RELAY_STATES = Object.keys(STATE_LINES) as readonly RelayState[];

/** Lag in seconds: how long the oldest pending event has waited since its commit; 0 when none waits. */
export function pendingAgeSeconds(relay: RelayView, nowMs = Date.now()): number {
  const oldest = relay.oldestPendingCommitTimeMs;
  return oldest === undefined ? 0 : Math.max(0, (nowMs - oldest) / 1000);
}

/** Ready means "events flow": not while connecting, backing off, Kafka is down, draining or standing by. */
export function isReady(state: RelayState): boolean {
  return state === 'streaming';
}

/** Subscribes and returns the matching unsubscribe, so that owners can detach everything they attached. */
export function listen<K extends keyof RelayEvents & string>(
  relay: RelayView,
  event: K,
  listener: (...args: RelayEvents[K]) => void,
): () => void {
  relay.on(event, listener);
  return () => relay.off(event, listener);
}
