/**
 * PostgreSQL's replication protocol counts time in microseconds since 2000-01-01 00:00 UTC.
 * 946,684,800,000 ms separate that epoch from the Unix epoch. (pg-logical-replication uses
 * 946,080,000,000 for keepalives and status updates: seven days off, which is why we
 * convert ourselves.)
 */
export const POSTGRES_EPOCH_UNIX_MS = 946_684_800_000;
const POSTGRES_EPOCH_UNIX_US = BigInt(POSTGRES_EPOCH_UNIX_MS) * 1000n;

/** Protocol timestamp (µs since 2000-01-01) -> milliseconds since 1970, fractional. */
export function pgMicrosToUnixMs(pgMicros: number): number {
  return pgMicros / 1000 + POSTGRES_EPOCH_UNIX_MS;
}

export function unixMsToPgMicros(unixMs: number): bigint {
  return BigInt(Math.round(unixMs * 1000)) - POSTGRES_EPOCH_UNIX_US;
}
