import type pg from 'pg';

/** Whose stream a checkpoint describes: another database's or slot's checkpoint must never match. */
export interface StreamIdentity {
  /** pg_control_system().system_identifier: the same on a primary and its physical standbys. */
  readonly systemId: string;
  readonly database: string;
  readonly slot: string;
}

/** Whose stream a checkpoint describes: another database's or slot's checkpoint must never match. */
export interface StreamIdentity {
  /** pg_control_system().system_identifier: the same on a primary and its physical standbys. */
  readonly systemId: string;
  readonly database: string;
  readonly slot: string;
}

/** Which server, database and slot the relay streams: the identity its checkpoints carry. */
export async function readStreamIdentity(client: pg.ClientBase, slot: string): Promise<StreamIdentity> {
  const { rows } = await client.query<{ system_id: string; database: string }>(
    'SELECT system_identifier::text AS system_id, current_database() AS database FROM pg_control_system()',
  );
  const [row] = rows;
  if (!row) throw new Error('pg_control_system() returned no row');
  return { systemId: row.system_id, database: row.database, slot };
}
