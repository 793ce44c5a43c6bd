import { describe, expect, it } from 'vitest';
import { formatLsn, lsn, lsnDistance, maxLsn, parseLsn } from '../../src/replication/lsn.js';
import { POSTGRES_EPOCH_UNIX_MS, pgMicrosToUnixMs, unixMsToPgMicros } from '../../src/replication/pg-time.js';

describe('Lsn', () => {
  it('parses and formats the X/Y text form', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(formatLsn(lsn(0x16b374d848n))).toBe('16/B374D848');
    expect(formatLsn(lsn(0n))).toBe('0/0');
    expect(formatLsn(parseLsn('FFFFFFFF/FFFFFFFF'))).toBe('FFFFFFFF/FFFFFFFF');
  });

  it('rejects what is not an LSN', () => {
    expect(() => parseLsn('16-B374D848')).toThrow(/not an LSN/);
    expect(() => parseLsn('123456789/0')).toThrow(/not an LSN/);
    expect(() => lsn(-1n)).toThrow(RangeError);
  });

  it('compares and measures distance numerically, not as text', () => {
    const low = parseLsn('0/FFFFFFFF');
    const high = parseLsn('1/0');
    expect(high > low).toBe(true);
    expect(maxLsn(low, high)).toBe(high);
    expect(lsnDistance(high, low)).toBe(1);
    expect(lsnDistance(low, high)).toBe(0);
  });
});

describe('PostgreSQL protocol time', () => {
  it('uses 2000-01-01 UTC as its epoch', () => {
    expect(POSTGRES_EPOCH_UNIX_MS).toBe(Date.UTC(2000, 0, 1));
    expect(pgMicrosToUnixMs(0)).toBe(Date.UTC(2000, 0, 1));
  });

  it('round-trips milliseconds with microsecond precision', () => {
    const now = Date.UTC(2026, 10, 23, 8, 30, 0, 123);
    expect(pgMicrosToUnixMs(Number(unixMsToPgMicros(now)))).toBe(now);
    expect(pgMicrosToUnixMs(1_500)).toBe(Date.UTC(2000, 0, 1) + 1.5);
  });
});
