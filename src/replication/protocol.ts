import { DecodeError } from '../errors.js';
import { type Lsn, readLsn, writeLsn } from './lsn.js';
import { unixMsToPgMicros } from './pg-time.js';

/**
 * The CopyBoth sub-protocol of streaming replication: what the server sends inside CopyData
 * ('w' XLogData, 'k' keepalive) and the standby status update we answer with. An XLogData
 * message is passed on as it came (a WalChunk): its positions are read only where needed, so
 * that a row costs no BigInt of its own.
 */
export type ServerMessageKind = 'wal' | 'keepalive';

/** One XLogData message: tag, walStart, walEnd, sendTime, then the pgoutput message. */
export type WalChunk = Buffer;

export interface Keepalive {
  readonly walEnd: Lsn;
  readonly replyRequested: boolean;
}

const XLOG_DATA = 0x77; // 'w'
const KEEPALIVE = 0x6b; // 'k'
const STANDBY_STATUS_UPDATE = 0x72; // 'r'
/** Where the pgoutput message starts in an XLogData message. */
export const WAL_PAYLOAD_OFFSET = 25;
const KEEPALIVE_LENGTH = 18; // tag, walEnd, sendTime, replyRequested
const STATUS_UPDATE_LENGTH = 34;

/** What a CopyData message from the server is; anything else is a DecodeError. */
export function serverMessageKind(chunk: Buffer): ServerMessageKind {
  const tag = chunk[0];
  if (tag === XLOG_DATA && chunk.length >= WAL_PAYLOAD_OFFSET) return 'wal';
  if (tag === KEEPALIVE && chunk.length >= KEEPALIVE_LENGTH) return 'keepalive';
  throw new DecodeError(
    `unexpected replication CopyData message (tag 0x${(tag ?? 0).toString(16)}, ${chunk.length} bytes)`,
    tag,
    undefined,
  );
}

/** Where the XLogData's message starts in the WAL. */
export function walStartOf(chunk: WalChunk): Lsn {
  return readLsn(chunk, 1);
}

/** The server's WAL position when it sent the XLogData. */
export function walEndOf(chunk: WalChunk): Lsn {
  return readLsn(chunk, 9);
}

export function readKeepalive(chunk: Buffer): Keepalive {
  return { walEnd: readLsn(chunk, 1), replyRequested: chunk[17] === 1 };
}

export interface StandbyStatus {
  /** Last position received (informational for the server). */
  readonly written: Lsn;
  /** Last position whose events are all acknowledged by Kafka: what the slot may forget. */
  readonly flushed: Lsn;
  readonly nowMs: number;
}

/** Encodes a standby status update. Flush and apply both carry the safe LSN, exactly. */
export function encodeStandbyStatus(status: StandbyStatus): Buffer {
  const message = Buffer.alloc(STATUS_UPDATE_LENGTH);
  message[0] = STANDBY_STATUS_UPDATE;
  writeLsn(message, status.written, 1);
  writeLsn(message, status.flushed, 9);
  writeLsn(message, status.flushed, 17);
  message.writeBigInt64BE(unixMsToPgMicros(status.nowMs), 25);
  message[33] = 0; // no reply requested
  return message;
}
