import { EventEmitter } from 'node:events';

/** What becomes of an error a listener threw. */
export type ListenerFailed = (event: string, error: unknown) => void;

const warn: ListenerFailed = (event, error) =>
  process.emitWarning(
    `a listener of "${event}" threw: ${error instanceof Error ? error.message : String(error)}`,
  );

/**
 * node:events with the event names and payloads checked by the compiler, and listeners that
 * cannot throw into the emitter: events are emitted from timers and clients' callbacks (the
 * confirmer's, a delivery report's), where an exception would end the process or a session.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly emitter = new EventEmitter();

  constructor(private readonly listenerFailed: ListenerFailed = warn) {}

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Calls every listener; one that throws is reported to `listenerFailed`, and the others still run. */
  protected emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (...args: Events[K]) => void)(...args);
      } catch (error) {
        this.listenerFailed(event, error);
      }
    }
  }
}
