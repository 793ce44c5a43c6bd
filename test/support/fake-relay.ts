import { TypedEmitter } from '../../src/lifecycle/typed-emitter.js';
import type { RelayView } from '../../src/observability/relay-view.js';
import type { RelayEvents, RelayState } from '../../src/relay-events.js';
import { type Lsn, ZERO_LSN } from '../../src/replication/lsn.js';

/** A relay without PostgreSQL or Kafka: tests set its getters and fire its events. */
export class FakeRelay extends TypedEmitter<RelayEvents> implements RelayView {
  state: RelayState = 'starting';
  inflightEvents = 0;
  inflightBytes = 0;
  confirmed: Lsn = ZERO_LSN;
  oldestPendingCommitTimeMs: number | undefined;
  lastConfirmedCommitTimeMs: number | undefined;

  fire<K extends keyof RelayEvents & string>(event: K, ...args: RelayEvents[K]): void {
    this.emit(event, ...args);
  }

  /** Moves to `state` and emits 'state:changed' as the relay does. */
  enter(state: RelayState): void {
    const previous = this.state;
    this.state = state;
    this.emit('state:changed', state, previous);
  }
}
