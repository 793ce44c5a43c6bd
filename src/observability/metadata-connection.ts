import type pg from 'pg';

/** Longest a metrics or /status query may take before its connection is abandoned. */
const QUERY_TIMEOUT_MS = 10_000;

/**
 * One lazily opened, self-healing ordinary connection for slot metrics and /status, apart
 * from the relay's own connections, so that observing never disturbs streaming. A failed
 * connect or query drops the client and the next use reconnects: after a PostgreSQL restart
 * the gauges come back by themselves, and nothing here ever throws into the relay.
 */
export class MetadataConnection {
  private client: Promise<pg.Client> | undefined;
  private closed = false;

  constructor(
    private readonly connect: () => Promise<pg.Client>,
    private readonly timeoutMs = QUERY_TIMEOUT_MS,
  ) {}

  async use<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('metadata connection closed');
    const pending = this.open();
    const client = await pending;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`PostgreSQL did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([work(client), timeout]);
    } catch (error) {
      // A client that failed mid-query cannot be trusted; reconnecting every few seconds is cheap.
      this.discard(pending);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.client;
    this.client = undefined;
    const client = await pending?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  private open(): Promise<pg.Client> {
    if (this.client) return this.client;
    const pending = this.connect();
    this.client = pending;
    pending.then(
      (client) => {
        client.once('end', () => this.discard(pending));
        if (this.closed) void client.end().catch(() => undefined);
      },
      () => this.discard(pending),
    );
    return pending;
  }

  private discard(pending: Promise<pg.Client>): void {
    if (this.client !== pending) return;
    this.client = undefined;
    pending.then(
      (client) => void client.end().catch(() => undefined),
      () => undefined,
    );
  }
}
