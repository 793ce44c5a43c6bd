import { existsSync, readFileSync } from 'node:fs';
import type { BenchContext } from './context.js';
import { withClient } from './db.js';
import { ROOT } from './stack.js';

/**
 * Who else uses the stack: the fault-injection tests stop and restart the shared Kafka and
 * PostgreSQL (`npm run stack -- stop-kafka`, `stop-pg`). A measurement during which either
 * restarted measured the outage, not the system: the harness compares this epoch before and
 * after each measurement and measures again.
 */
export async function stackEpoch(ctx: BenchContext): Promise<string> {
  const pidFile = `${ROOT}.stack/kafka/kafka.pid`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const kafkaPid = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : 'none';
      const pgStart = await withClient(ctx.stack.databaseUrl, async (client) => {
        const { rows } = await client.query<{ started: string }>(
          'SELECT pg_postmaster_start_time()::text AS started',
        );
        return rows[0]?.started ?? '';
      });
      if (kafkaPid !== 'none' && kafkaPid !== '') return `kafka ${kafkaPid}, postgres ${pgStart}`;
    } catch {
      // PostgreSQL is down (a fault test): wait for it
    }
    if (Date.now() > deadline) return 'unknown (stack down)';
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
