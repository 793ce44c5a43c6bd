import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import knexModule from 'knex';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import postgres from 'postgres';
import { DataSource } from 'typeorm';
import { drizzleOutbox } from '../../src/client/adapters/drizzle.js';
import { knexOutbox } from '../../src/client/adapters/knex.js';
import { kyselyOutbox } from '../../src/client/adapters/kysely.js';
import { pgOutbox } from '../../src/client/adapters/pg.js';
import { postgresJsOutbox } from '../../src/client/adapters/postgres-js.js';
import { prismaOutbox } from '../../src/client/adapters/prisma.js';
import { typeormOutbox } from '../../src/client/adapters/typeorm.js';
import type { OutboxEvent } from '../../src/client/event.js';

/** A business row written in the same transaction as the events. */
export interface Order {
  readonly id: string;
  readonly total: number;
}

/**
 * One library's transaction: write the order and publish the events in it, then commit, or
 * throw after both so that the library rolls the transaction back.
 */
export interface OrmClient {
  readonly name: string;
  transaction(order: Order, events: readonly OutboxEvent[], outcome: 'commit' | 'rollback'): Promise<void>;
  close(): Promise<void>;
}

/** What a transaction body throws to make its library roll back. */
class Rollback extends Error {
  constructor() {
    super('a deliberate rollback');
  }
}

function rollbackIf(outcome: 'commit' | 'rollback'): void {
  if (outcome === 'rollback') throw new Rollback();
}

/** Runs a library's transaction; the deliberate Rollback (which the library may wrap) ends it quietly. */
async function rollingBack(outcome: 'commit' | 'rollback', body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (outcome === 'rollback' && causedByRollback(error)) return;
    throw error;
  }
  if (outcome === 'rollback') throw new Error('the transaction committed instead of rolling back');
}

function causedByRollback(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof Rollback) return true;
  }
  return false;
}

const INSERT_ORDER = 'INSERT INTO orders (id, total) VALUES ($1, $2)';

export async function pgClient(url: string): Promise<OrmClient> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const outbox = pgOutbox();
  return {
    name: 'pg',
    async transaction(order, events, outcome) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(INSERT_ORDER, [order.id, order.total]);
        await outbox.publish(client, events);
        await client.query(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function postgresJsClient(url: string): Promise<OrmClient> {
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  const outbox = postgresJsOutbox();
  return {
    name: 'postgres.js',
    transaction: (order, events, outcome) =>
      rollingBack(outcome, () =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO orders (id, total) VALUES (${order.id}, ${order.total})`;
          await outbox.publish(tx, events);
          rollbackIf(outcome);
        }),
      ),
    close: () => sql.end(),
  };
}

export async function knexClient(url: string): Promise<OrmClient> {
  const db = knexModule.knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  const outbox = knexOutbox();
  return {
    name: 'knex',
    transaction: (order, events, outcome) =>
      rollingBack(outcome, () =>
        db.transaction(async (trx) => {
          await trx('orders').insert(order);
          await outbox.publish(trx, events);
          rollbackIf(outcome);
        }),
      ),
    close: () => db.destroy(),
  };
}

export async function kyselyClient(url: string): Promise<OrmClient> {
  const db = new Kysely<{ orders: Order }>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  const outbox = kyselyOutbox();
  return {
    name: 'kysely',
    transaction: (order, events, outcome) =>
      rollingBack(outcome, () =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto('orders').values(order).execute();
          await outbox.publish(trx, events);
          rollbackIf(outcome);
        }),
      ),
    close: () => db.destroy(),
  };
}

export async function drizzleClient(url: string): Promise<OrmClient> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const db = drizzle(pool);
  const outbox = drizzleOutbox();
  return {
    name: 'drizzle',
    transaction: (order, events, outcome) =>
      rollingBack(outcome, () =>
        db.transaction(async (tx) => {
          await tx.execute(drizzleSql`INSERT INTO orders (id, total) VALUES (${order.id}, ${order.total})`);
          await outbox.publish(tx, events);
          rollbackIf(outcome);
        }),
      ),
    close: () => pool.end(),
  };
}

export async function typeormClient(url: string): Promise<OrmClient> {
  const dataSource = new DataSource({ type: 'postgres', url, poolSize: 2, logging: false });
  await dataSource.initialize();
  const outbox = typeormOutbox();
  return {
    name: 'typeorm',
    transaction: (order, events, outcome) =>
      rollingBack(outcome, () =>
        dataSource.transaction(async (manager) => {
          await manager.query(INSERT_ORDER, [order.id, order.total]);
          await outbox.publish(manager, events);
          rollbackIf(outcome);
        }),
      ),
    close: () => dataSource.destroy(),
  };
}

const PRISMA_DIR = fileURLToPath(new URL('../../.stack/prisma-test/', import.meta.url));

const PRISMA_SCHEMA = `// Written by test/support/orm-clients.ts; generated at every test run, offline.
generator client {
  provider            = "prisma-client"
  output              = "./generated"
  runtime             = "nodejs"
  moduleFormat        = "esm"
  importFileExtension = "js"
}

datasource db {
  provider = "postgresql"
}

model Order {
  id    String @id
  total Int

  @@map("orders")
}
`;

/**
 * Prisma 7 with the prisma-client generator and the pg driver adapter: no engine binary at run
 * time. `prisma generate` wants the schema engine's path but does not run it, so any existing
 * file serves offline (the engine download at install fails without GitHub access).
 */
export async function prismaClient(url: string): Promise<OrmClient> {
  mkdirSync(PRISMA_DIR, { recursive: true });
  writeFileSync(`${PRISMA_DIR}schema.prisma`, PRISMA_SCHEMA);
  const prismaCli = fileURLToPath(new URL('../../node_modules/prisma/build/index.js', import.meta.url));
  await promisify(execFile)(
    process.execPath,
    [prismaCli, 'generate', '--schema', `${PRISMA_DIR}schema.prisma`],
    {
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: '1' },
      timeout: 60_000,
    },
  );
  const { PrismaClient } = await import(`${PRISMA_DIR}generated/client.ts`);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  const outbox = prismaOutbox();
  return {
    name: 'prisma',
    transaction: (order, events, outcome) =>
      rollingBack(outcome, () =>
        prisma.$transaction(
          async (
            tx: Parameters<typeof outbox.publish>[0] & {
              order: { create(args: { data: Order }): Promise<unknown> };
            },
          ) => {
            await tx.order.create({ data: order });
            await outbox.publish(tx, events);
            rollbackIf(outcome);
          },
        ),
      ),
    close: () => prisma.$disconnect(),
  };
}

export const ORM_CLIENTS = [
  pgClient,
  postgresJsClient,
  knexClient,
  kyselyClient,
  drizzleClient,
  typeormClient,
  prismaClient,
] as const;
