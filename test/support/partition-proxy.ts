import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy to PostgreSQL that can cut a client off the way a network partition does: the
 * server's side of each connection closes (its backends end, their locks and slots are freed),
 * while the client's side stays open and silent, so the client notices nothing until it times out.
 */
export class PartitionProxy {
  private readonly pairs = new Set<{ client: Socket; server: Socket }>();
  /** Every socket ever opened, cut off or not: close() ends them all. */
  private readonly sockets = new Set<Socket>();
  private partitioned = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<PartitionProxy> {
    let proxy: PartitionProxy | undefined;
    const server = createServer((client) => proxy?.connect(client, targetHost, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy = new PartitionProxy(server, address.port);
    return proxy;
  }

  /** Closes the server's side of every connection; new connections are refused from now on. */
  partition(): void {
    this.partitioned = true;
    for (const { client, server } of this.pairs) {
      client.unpipe(server);
      server.unpipe(client);
      server.destroy();
      // Nothing more reaches the client: it waits, as across a partition.
      client.pause();
    }
  }

  /** Lets new connections through again; the ones cut off stay cut off. */
  heal(): void {
    this.partitioned = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private connect(client: Socket, host: string, port: number): void {
    if (this.partitioned) {
      client.destroy();
      return;
    }
    const server = connect(port, host);
    this.sockets.add(client).add(server);
    const pair = { client, server };
    this.pairs.add(pair);
    client.pipe(server);
    server.pipe(client);
    const drop = () => {
      this.pairs.delete(pair);
      if (!this.partitioned) {
        client.destroy();
        server.destroy();
      }
    };
    client.on('error', drop);
    server.on('error', drop);
    client.on('close', drop);
    server.on('close', drop);
  }
}
