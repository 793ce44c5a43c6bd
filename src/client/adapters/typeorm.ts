/**
 * TypeORM: pass the EntityManager of `dataSource.transaction(async (manager) => ...)`.
 *
 *   const outbox = typeormOutbox<Events>();
 *   await dataSource.transaction(async (manager) => {
 *     await manager.save(order);
 *     await outbox.publish(manager, { aggregateType: 'order', aggregateId: order.id, eventType: 'OrderPlaced', payload });
 *   });
 */
export { type Queryable as EntityManagerLike, queryOutbox as typeormOutbox } from './query.js';
