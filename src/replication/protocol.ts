import { DecodeError } from '../errors.js';
import { type Lsn, readLsn, writeLsn } from './lsn.js';
import { unixMsToPgMicros } from './pg-time.js';

/**
 * The CopyBoth sub-protocol of streaming replication: what the server sends inside
 * CopyData ('w' XLogData, 'k' keepalive) and the standby status update we answer with.
 */
export type ServerMessage = WalData | Keepalive;

export interface WalData {
  readonly kind: 'wal';
  readonly walStart: Lsn;
  readonly walEnd: Lsn;
  /** The pgoutput message; a view into the chunk. */
  readonly payload: Buffer;
}

export interface Keepalive {
  readonly kind: 'keepalive';
  readonly walEnd: Lsn;
  readonly replyRequested: boolean;
}

const XLOG_DATA = 0x77; // 'w'
const KEEPALIVE = 0x6b; // 'k'
const STANDBY_STATUS_UPDATE = 0x72; // 'r'
const XLOG_DATA_HEADER = 25; // tag, walStart, walEnd, sendTime
const KEEPALIVE_LENGTH = 18; // tag, walEnd, sendTime, replyRequested
const STATUS_UPDATE_LENGTH = 34;

export function parseServerMessage(chunk: Buffer): ServerMessage {
  const tag = chunk[0];
  if (tag === XLOG_DATA && chunk.length >= XLOG_DATA_HEADER) {
    return {
      kind: 'wal',
      walStart: readLsn(chunk, 1),
      walEnd: readLsn(chunk, 9),
      payload: chunk.subarray(XLOG_DATA_HEADER),
    };
  }
  if (tag === KEEPALIVE && chunk.length >= KEEPALIVE_LENGTH) {
    return { kind: 'keepalive', walEnd: readLsn(chunk, 1), replyRequested: chunk[17] === 1 };
  }
  throw new DecodeError(
    `unexpected replication CopyData message (tag 0x${(tag ?? 0).toString(16)}, ${chunk.length} bytes)`,
    tag,
    undefined,
  );
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
