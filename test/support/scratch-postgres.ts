import { stackCommand } from './services.js';

export interface ScratchPostgres {
  /** Same role, password and database name as the main cluster, on the requested port. */
  readonly url: string;
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
}): Promise<ScratchPostgres> {
  const port = String(options.port);
  const url = await stackCommand('scratch-start', port, options.walLevel);
  return {
    url,
    stop: async () => {
      await stackCommand('scratch-stop', port);
    },
  };
}
