import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { stackCommand } from './services.js';

export interface ScratchPostgres {
  /** Same role, password and database name as the main cluster, on the requested port. */
  readonly url: string;
  /** The superuser over the cluster's unix socket (trusted there), for settings only a superuser may change. */
  readonly superuser: pg.ClientConfig;
  /** Stops the cluster and deletes its directory. */
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster under .stack/scratch/pg-<port> (initdb, started as the stack's OS user),
 * for tests that need other server settings. Only on the local stack.
 */
export async function startScratchPostgres(options: {
  walLevel: 'replica' | 'logical';
  port: number;
  /** Another PostgreSQL major version than the stack's (16, 17, 18: scripts/stack/postgres.sh). */
  major?: number;
}): Promise<ScratchPostgres> {
  const port = String(options.port);
  const version = options.major === undefined ? [] : [String(options.major)];
  const url = await stackCommand('scratch-start', port, options.walLevel, ...version);
  const scratchDir = realpathSync(fileURLToPath(new URL('../../.stack/scratch', import.meta.url)));
  return {
    url,
    superuser: {
      host: `${scratchDir}/pg-${port}/sock`,
      port: options.port,
      user: 'postgres',
      database: 'postgres',
    },
    stop: async () => {
      await stackCommand('scratch-stop', port);
    },
  };
}
