/** A sink's `failed` promise: rejected once, with the failure, and never an unhandled rejection. */
export class FailureSignal {
  readonly promise: Promise<never>;
  private rejectWith: (error: unknown) => void = () => undefined;

  constructor() {
    this.promise = new Promise<never>((_, reject) => {
      this.rejectWith = reject;
    });
    this.promise.catch(() => undefined);
  }

  fail(error: unknown): void {
    this.rejectWith(error);
  }
}

/** The callers of a sink's `whenIdle()`, resolved together once it is idle. */
export class IdleWaiters {
  private waiters: Array<() => void> = [];

  /** Resolves at once when `idle`, else at the next `release()`. */
  wait(idle: boolean): Promise<void> {
    if (idle) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
