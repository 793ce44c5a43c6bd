const ISO_TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-]\d\d)(?::?(\d\d))?)?$/;

/**
 * A timestamptz in the text form the replication session prints (DateStyle ISO, TimeZone
 * UTC, set by the stream): `2026-11-23 08:30:34.123456+00`, or a timestamp without time zone,
 * read as UTC (as Debezium reads one). Returns ms since 1970 or NaN.
 * Parsed by hand: on every event, Date.parse of a rewritten string cost 4% of a catch-up.
 */
export function timestampToUnixMs(text: string): number {
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second, fraction = '', offsetHours = '0', offsetMinutes = '0'] =
    match;
  const utc = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  const millis = fraction === '' ? 0 : Number(fraction.padEnd(6, '0')) / 1000;
  const offsetSign = offsetHours.startsWith('-') ? -1 : 1;
  const offsetMs = (Math.abs(Number(offsetHours)) * 60 + Number(offsetMinutes)) * 60_000 * offsetSign;
  return utc + millis - offsetMs;
}
