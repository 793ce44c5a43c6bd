import { describe, expect, it } from 'vitest';
import { timestampToUnixMs } from '../../src/outbox/timestamp.js';

describe('timestampToUnixMs', () => {
  it('reads the ISO text PostgreSQL prints, with microseconds and offsets', () => {
    expect(timestampToUnixMs('2026-11-23 08:30:34.123456+00')).toBe(
      Date.UTC(2026, 10, 23, 8, 30, 34, 123) + 0.456,
    );
    expect(timestampToUnixMs('2026-11-23 08:30:34+00')).toBe(Date.UTC(2026, 10, 23, 8, 30, 34));
    expect(timestampToUnixMs('2026-11-23 08:30:34.5+00')).toBe(Date.UTC(2026, 10, 23, 8, 30, 34, 500));
    expect(timestampToUnixMs('2026-11-23 10:00:00+02')).toBe(Date.UTC(2026, 10, 23, 8, 0, 0));
    expect(timestampToUnixMs('2026-11-23 03:00:00-05:30')).toBe(Date.UTC(2026, 10, 23, 8, 30, 0));
  });

  it('reads a timestamp without time zone as UTC, as Debezium does', () => {
    expect(timestampToUnixMs('2026-11-23 08:30:34.25')).toBe(Date.UTC(2026, 10, 23, 8, 30, 34, 250));
  });

  it('agrees with Date.parse on the same instants', () => {
    for (const text of [
      '1999-12-31 23:59:59.999+00',
      '2024-02-29 12:00:00.000001+00',
      '2038-01-19 03:14:08+00',
    ]) {
      const iso = `${text.replace(' ', 'T').replace(/\+00$/, '')}Z`;
      expect(Math.floor(timestampToUnixMs(text))).toBe(Date.parse(iso));
    }
  });

  it('returns NaN for anything else, so the mapper falls back to the commit time', () => {
    expect(timestampToUnixMs('infinity')).toBeNaN();
    expect(timestampToUnixMs('23/11/2026')).toBeNaN();
  });
});
