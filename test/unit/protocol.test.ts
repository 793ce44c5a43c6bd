import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { lsn, parseLsn } from '../../src/replication/lsn.js';
import { POSTGRES_EPOCH_UNIX_MS } from '../../src/replication/pg-time.js';
import {
  encodeStandbyStatus,
  readKeepalive,
  serverMessageKind,
  WAL_PAYLOAD_OFFSET,
  walEndOf,
  walStartOf,
} from '../../src/replication/protocol.js';

describe('replication CopyData messages', () => {
  it('encodes a standby status update with the exact LSNs (no +1) and a PostgreSQL-epoch clock', () => {
    const message = encodeStandbyStatus({
      written: parseLsn('1/20'),
      flushed: parseLsn('1/10'),
      nowMs: POSTGRES_EPOCH_UNIX_MS + 2_000,
    });
    expect(message.length).toBe(34);
    expect(String.fromCharCode(message[0] as number)).toBe('r');
    expect(message.readBigUInt64BE(1)).toBe(0x1_0000_0020n);
    expect(message.readBigUInt64BE(9)).toBe(0x1_0000_0010n);
    expect(message.readBigUInt64BE(17)).toBe(0x1_0000_0010n);
    expect(message.readBigInt64BE(25)).toBe(2_000_000n);
    expect(message[33]).toBe(0);
  });

  it('parses keepalives and XLogData headers', () => {
    const keepalive = Buffer.alloc(18);
    keepalive[0] = 0x6b;
    keepalive.writeBigUInt64BE(0xabcn, 1);
    keepalive[17] = 1;
    expect(serverMessageKind(keepalive)).toBe('keepalive');
    expect(readKeepalive(keepalive)).toEqual({ walEnd: lsn(0xabcn), replyRequested: true });

    const wal = Buffer.alloc(26);
    wal[0] = 0x77;
    wal.writeBigUInt64BE(5n, 1);
    wal.writeBigUInt64BE(9n, 9);
    wal[25] = 0x42;
    expect(serverMessageKind(wal)).toBe('wal');
    expect([walStartOf(wal), walEndOf(wal)]).toEqual([5n, 9n]);
    expect(wal[WAL_PAYLOAD_OFFSET]).toBe(0x42);
  });

  it('rejects anything else with a DecodeError', () => {
    expect(() => serverMessageKind(Buffer.from([0x78, 1, 2]))).toThrow(DecodeError);
    expect(() => serverMessageKind(Buffer.from([0x77, 1, 2]))).toThrow(/tag 0x77, 3 bytes/);
  });
});
