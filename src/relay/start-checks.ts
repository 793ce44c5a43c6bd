import type { Logger } from 'pino';
import type { RelayConfig } from '../config/relay-config.js';
import type { OutboxLayout } from '../outbox/layout.js';
import { failoverFindings, readFailoverFacts } from '../replication/failover.js';
import { connectPostgres } from '../replication/postgres-client.js';
import { readStreamIdentity, type StreamIdentity } from '../replication/stream-identity.js';
import { preflight } from '../setup/preflight.js';

/**
 * What the relay checks once, before anything connects to the broker: the server, the slot and
 * the outbox table (preflight, which also resolves the layout's columns), the failover readiness
 * (logged), and which stream this is.
 */
export async function checkBeforeStart(
  config: RelayConfig,
  layout: OutboxLayout,
  logger: Logger,
): Promise<{ layout: OutboxLayout; identity: StreamIdentity }> {
  const metadata = await connectPostgres(config.databaseUrl, 'outbox-relay');
  try {
    const checked = await preflight(metadata, config, layout);
    // A single server without standbys is common (development): what failover lacks is info, not a warning.
    const facts = await readFailoverFacts(metadata, config.slot);
    const findings = failoverFindings(facts, config.slot, config.failoverSlot);
    logger.info(
      { failover: findings.map(({ level, message }) => `${level}: ${message}`) },
      'failover readiness',
    );
    return { layout: checked, identity: await readStreamIdentity(metadata, config.slot) };
  } finally {
    await metadata.end().catch(() => undefined);
  }
}
