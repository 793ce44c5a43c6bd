import { roleOf } from '../config/postgres-url.js';
import { DecodeError, SetupError } from '../errors.js';
import { quoteLiteral } from '../sql-quote.js';
import { formatLsn, type Lsn, parseLsn } from './lsn.js';
import { classifyPgError } from './pg-errors.js';
import { asReplicationClient, endClient, type ReplicationClient, replicationClient } from './pg-internals.js';
import { PgOutputDecoder } from './pgoutput/decode.js';
import type { PgOutputMessage } from './pgoutput/messages.js';
import { TEXT_FORMAT_SETTINGS } from './postgres-client.js';
import {
  encodeStandbyStatus,
  type Keepalive,
  readKeepalive,
  type StandbyStatus,
  serverMessageKind,
  WAL_PAYLOAD_OFFSET,
  type WalChunk,
  walStartOf,
} from './protocol.js';

export interface ReplicationStreamOptions {
  readonly connectionString: string;
  readonly slot: string;
  readonly publication: string;
  readonly applicationName: string;
  /** Ask pgoutput for pg_logical_emit_message output too (PostgreSQL 14+). */
  readonly messages: boolean;
}

/**
 * Receives the stream in server order, synchronously: ordering depends on it. The message and
 * its chunk are views into the driver's read buffer, valid only during the call.
 */
export interface ReplicationHandler {
  onMessage(message: PgOutputMessage, wal: WalChunk): void;
  onKeepalive(keepalive: Keepalive): void;
}

/**
 * The server a stream connected to, as its own replication connection reads it before streaming:
 * what the relay may compare with what it remembers, and the only position it may confirm unprompted.
 */
export interface StreamOrigin {
  readonly systemId: string;
  readonly timeline: number;
  /** The server's WAL flush position at connection (IDENTIFY_SYSTEM's xlogpos). */
  readonly serverEnd: Lsn;
  /** The slot's confirmed_flush_lsn: the server sends every transaction whose commit record starts there or later. */
  readonly slotConfirmed: Lsn;
  /** The relations the publication publishes, as `schema.table`: rows of others were not expected. */
  readonly publishedTables: ReadonlySet<string>;
}

/**
 * One logical replication session over pgoutput protocol version 1. Always starts at
 * `0/0`, so that the server resumes from the slot's confirmed_flush_lsn and never skips a
 * transaction that was received but not yet acknowledged by Kafka.
 */
export class ReplicationStream {
  private client: ReplicationClient | undefined;
  private readonly decoder = new PgOutputDecoder();
  private paused = false;
  private closing = false;

  constructor(private readonly options: ReplicationStreamOptions) {}

  private get subject(): string {
    return `replication slot "${this.options.slot}"`;
  }

  /**
   * Connects and reads where the server and its slot stand, on the connection that will stream:
   * another connection could reach another server (a failover in between) or an older slot value.
   */
  async connect(): Promise<StreamOrigin> {
    const subject = this.subject;
    const plain = replicationClient({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName,
      // Text values of timestamps and bytea are parsed by the mapper: fix their formats here.
      options: TEXT_FORMAT_SETTINGS,
    });
    try {
      await plain.connect();
    } catch (error) {
      await plain.end().catch(() => undefined);
      throw classifyPgError(error, subject, roleOf(this.options.connectionString));
    }
    const client = asReplicationClient(plain);
    this.client = client;
    try {
      return await this.readOrigin(client);
    } catch (error) {
      await this.close();
      throw error instanceof SetupError ? error : classifyPgError(error, subject);
    }
  }

  /**
   * Starts streaming (connecting first unless `connect()` did). Resolves with a promise that settles
   * when the stream ends: fulfilled after `stop()`, rejected with a ReplicationError or DecodeError.
   */
  async start(handler: ReplicationHandler): Promise<{ ended: Promise<void> }> {
    const subject = this.subject;
    if (!this.client) await this.connect();
    const client = this.client as ReplicationClient;

    let fail: (error: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    failed.catch(() => undefined);
    client.on('error', (error) => fail(classifyPgError(error, subject)));
    client.connection.on('copyData', ({ chunk }) => {
      try {
        this.dispatch(chunk, handler);
      } catch (error) {
        fail(error);
      }
    });

    const started = new Promise<void>((resolve) => client.connection.once('replicationStart', resolve));
    const query = client.query(this.startCommand()).then(
      () => undefined,
      (error: unknown) => {
        if (!this.closing) throw classifyPgError(error, subject);
      },
    );
    const ended = Promise.race([query, failed])
      .then(() => {
        if (!this.closing) throw classifyPgError(new Error('Connection terminated by the server'), subject);
      })
      .finally(() => this.close());
    await Promise.race([started, ended]);
    return { ended };
  }

  sendStatus(status: StandbyStatus): void {
    this.client?.connection.sendCopyFromChunk(encodeStandbyStatus(status));
  }

  /** Stops reading the socket: the server then blocks on TCP backpressure. */
  pause(): void {
    if (this.paused || !this.client) return;
    this.paused = true;
    this.client.connection.stream.pause();
  }

  resume(): void {
    if (!this.paused || !this.client) return;
    this.paused = false;
    this.client.connection.stream.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  async stop(): Promise<void> {
    this.closing = true;
    await this.close();
  }

  private async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.connection.stream.resume();
    await endClient(client);
  }

  private dispatch(chunk: Buffer, handler: ReplicationHandler): void {
    if (serverMessageKind(chunk) === 'keepalive') {
      handler.onKeepalive(readKeepalive(chunk));
      return;
    }
    let decoded: PgOutputMessage;
    try {
      decoded = this.decoder.decode(chunk, WAL_PAYLOAD_OFFSET);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      const at = formatLsn(walStartOf(chunk));
      throw new DecodeError(`${error.message} (WAL ${at})`, error.tag, at);
    }
    handler.onMessage(decoded, chunk);
  }

  private async readOrigin(client: ReplicationClient): Promise<StreamOrigin> {
    // A replication connection speaks the simple query protocol only: no parameters.
    const system = await client.query<{ systemid: string; timeline: number; xlogpos: string }>(
      'IDENTIFY_SYSTEM',
    );
    const slot = await client.query<{ confirmed: string | null }>(
      `SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(this.options.slot)}`,
    );
    const tables = await client.query<{ name: string }>(
      `SELECT schemaname || '.' || tablename AS name FROM pg_publication_tables WHERE pubname = ${quoteLiteral(this.options.publication)}`,
    );
    const [identity] = system.rows;
    const confirmed = slot.rows[0]?.confirmed;
    if (!identity || !confirmed) {
      throw new SetupError(
        `replication slot "${this.options.slot}" does not exist on this server (or was never used): run \`outbox-relay init\` against it`,
      );
    }
    return {
      systemId: String(identity.systemid),
      timeline: Number(identity.timeline),
      serverEnd: parseLsn(identity.xlogpos),
      slotConfirmed: parseLsn(confirmed),
      publishedTables: new Set(tables.rows.map((row) => row.name)),
    };
  }

  private startCommand(): string {
    const { slot, publication, messages } = this.options;
    const options = `proto_version '1', publication_names '"${publication}"'${messages ? ", messages 'true'" : ''}`;
    return `START_REPLICATION SLOT "${slot}" LOGICAL 0/0 (${options})`;
  }
}
