// Compiled by test/unit/publish-types.test.ts, not by the project's typecheck (tsconfig.json
// excludes test/types): each `wrong*` declaration must hold a type error, each `right*` none.
import { createOutbox, type EventOf } from '../../src/client/index.js';

type Events = {
  OrderPlaced: { orderId: string; total: number };
  OrderShipped: { orderId: string; carrier: string };
};
type Event = EventOf<Events>;

const order = { aggregateType: 'order', aggregateId: 'o-1' } as const;

export const rightPlaced: Event = { ...order, eventType: 'OrderPlaced', payload: { orderId: 'o', total: 5 } };
export const rightShipped: Event = {
  ...order,
  eventType: 'OrderShipped',
  payload: { orderId: 'o', carrier: 'dhl' },
  headers: { source: 'api' },
};
export const wrongFieldType: Event = {
  ...order,
  eventType: 'OrderPlaced',
  payload: { orderId: 'o', total: '5' },
};
export const wrongPayloadOfOtherType: Event = {
  ...order,
  eventType: 'OrderPlaced',
  payload: { orderId: 'o', carrier: 'dhl' },
};
export const wrongMissingField: Event = { ...order, eventType: 'OrderShipped', payload: { orderId: 'o' } };
export const wrongUndeclaredType: Event = {
  ...order,
  eventType: 'OrderCancelled',
  payload: { orderId: 'o' },
};
export const wrongNoAggregateType: Event = {
  aggregateId: 'o-1',
  eventType: 'OrderPlaced',
  payload: { orderId: 'o', total: 5 },
};

const outbox = createOutbox<Events, null>(async () => undefined);

export async function rightPublish(): Promise<void> {
  await outbox.publish(null, [rightPlaced, rightShipped]);
}

export async function wrongPublishPayload(): Promise<void> {
  await outbox.publish(null, { ...order, eventType: 'OrderShipped', payload: { orderId: 'o', total: 5 } });
}
