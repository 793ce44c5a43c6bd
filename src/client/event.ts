/**
 * One domain event as an application publishes it. The relay sends it to the topic of its
 * aggregate type, keyed by its aggregate id, with its payload as the value.
 */
export interface OutboxEvent<Type extends string = string, Payload = unknown> {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly eventType: Type;
  readonly payload: Payload;
  /** Extra Kafka headers (the default layout's headers column; message mode). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The event id (a UUID by default); generated when absent. */
  readonly id?: string;
}

/** A team's events, declared once: event type → payload type. */
export type EventMap = { readonly [eventType: string]: unknown };

/** Any event of a map, each with its own payload type: a wrong payload is a type error. */
export type EventOf<Events extends EventMap> = {
  [Type in keyof Events & string]: OutboxEvent<Type, Events[Type]>;
}[keyof Events & string];

/** An event with its id decided, as written. */
export interface IdentifiedEvent extends OutboxEvent {
  readonly id: string;
}
