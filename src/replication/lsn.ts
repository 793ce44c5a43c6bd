/**
 * A PostgreSQL log sequence number: a 64-bit byte position in the write-ahead log.
 * Kept as a bigint so that comparison and subtraction are exact; the `X/Y` text form
 * exists only at the edges (SQL, logs).
 */
export type Lsn = bigint & { readonly __brand: 'Lsn' };

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const UINT64_MAX = (1n << 64n) - 1n;

export const ZERO_LSN = 0n as Lsn;

export function lsn(value: bigint): Lsn {
  if (value < 0n || value > UINT64_MAX) throw new RangeError(`LSN out of range: ${value}`);
  return value as Lsn;
}

export function parseLsn(text: string): Lsn {
  const match = LSN_TEXT.exec(text.trim());
  if (!match?.[1] || !match[2]) throw new TypeError(`not an LSN: "${text}" (expected the form 16/B374D848)`);
  return ((BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)) as Lsn;
}

export function formatLsn(value: Lsn): string {
  const high = (value >> 32n).toString(16).toUpperCase();
  const low = (value & 0xffffffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a > b ? a : b;
}

/** Bytes between two positions, for lag metrics; never negative. */
export function lsnDistance(ahead: Lsn, behind: Lsn): number {
  return ahead > behind ? Number(ahead - behind) : 0;
}

export function readLsn(buffer: Buffer, offset: number): Lsn {
  return buffer.readBigUInt64BE(offset) as Lsn;
}

export function writeLsn(buffer: Buffer, value: Lsn, offset: number): void {
  buffer.writeBigUInt64BE(value, offset);
}
