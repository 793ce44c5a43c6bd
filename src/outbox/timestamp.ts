/**
 * A timestamptz in the text form the replication session prints (DateStyle ISO, TimeZone
 * UTC, set by the stream): `2026-11-23 08:30:34.123456+00`. Returns ms since 1970 or NaN.
 */
export function timestamptzToUnixMs(text: string): number {
  const iso = text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  return Date.parse(iso);
}
