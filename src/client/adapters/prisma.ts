import type { EventMap } from '../event.js';
import { createOutbox, type Outbox, type PublisherOptions } from '../publisher.js';
import { numbered } from '../statement.js';

/** What publish needs of Prisma: the `tx` of an interactive `prisma.$transaction(async (tx) => ...)`. */
export interface PrismaTransaction {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Prisma (PostgreSQL, with or without a driver adapter):
 *
 *   const outbox = prismaOutbox<Events>();
 *   await prisma.$transaction(async (tx) => {
 *     await tx.order.create({ data: order });
 *     await outbox.publish(tx, { aggregateType: 'order', aggregateId: order.id, eventType: 'OrderPlaced', payload });
 *   });
 */
export function prismaOutbox<Events extends EventMap>(
  options?: PublisherOptions,
): Outbox<Events, PrismaTransaction> {
  return createOutbox(
    (tx, statement) => tx.$executeRawUnsafe(numbered(statement), ...statement.values),
    options,
  );
}
