import pg from 'pg';

/**
 * The one place that reaches into node-postgres internals. Streaming replication needs the
 * raw CopyData messages of a CopyBoth exchange, the ability to send CopyData back, and the
 * socket to pause for backpressure; pg exposes none of these publicly. A unit test asserts
 * this shape so that an upgrade of pg that changes it fails loudly.
 */
export interface CopyDataMessage {
  readonly chunk: Buffer;
}

export interface WireConnection {
  on(event: 'copyData', listener: (message: CopyDataMessage) => void): unknown;
  once(event: 'replicationStart', listener: () => void): unknown;
  sendCopyFromChunk(chunk: Buffer): void;
  readonly stream: { pause(): void; resume(): void; isPaused(): boolean; destroy(): void };
}

export type ReplicationClient = pg.Client & { readonly connection: WireConnection };

export function asReplicationClient(client: pg.Client): ReplicationClient {
  const connection = (client as Partial<ReplicationClient>).connection;
  if (
    typeof connection?.on !== 'function' ||
    typeof connection.once !== 'function' ||
    typeof connection.sendCopyFromChunk !== 'function' ||
    typeof connection.stream?.pause !== 'function' ||
    typeof connection.stream.resume !== 'function'
  ) {
    throw new Error(
      'node-postgres internals changed: Client.connection no longer has on/once/sendCopyFromChunk/stream; ' +
        'pin the pg version in package.json or update src/replication/pg-internals.ts',
    );
  }
  return client as ReplicationClient;
}

/** A client that opens a logical replication connection (startup parameter replication=database). */
export function replicationClient(config: pg.ClientConfig): pg.Client {
  // pg passes this startup parameter through; its types do not list it.
  return new pg.Client({ ...config, ...({ replication: 'database' } as pg.ClientConfig) });
}

/** How long a closing connection may wait for the server's goodbye. */
const END_TIMEOUT_MS = 5_000;

/**
 * Ends a client, and destroys its socket if the server has not closed it in time: pg's end()
 * waits for the server, and across a network partition a peer never answers.
 */
export async function endClient(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, END_TIMEOUT_MS);
  });
  await Promise.race([client.end().catch(() => undefined), timedOut]);
  clearTimeout(timer);
  (client as Partial<ReplicationClient>).connection?.stream.destroy();
}
