import type { Logger } from 'pino';
import { listen, type RelayView, STATE_LINES } from './relay-view.js';

/**
 * One info line per state change (never per event), so that an operator reading the logs
 * sees connects, outages, backoffs and drains in order. The message never equals the relay's
 * own "streaming" line, which tests and operators count as "a session started".
 */
export function logStateChanges(relay: RelayView, logger: Logger): () => void {
  return listen(relay, 'state:changed', (state, previous) => {
    logger.info({ state, previous }, `state: ${STATE_LINES[state]}`);
  });
}
