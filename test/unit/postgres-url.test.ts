import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { splitHosts } from '../../src/config/postgres-url.js';
import { secretValues } from '../../src/config/redact.js';

describe("DATABASE_URL with several hosts (libpq's form)", () => {
  const url =
    'postgres://relay:s3cret@db-a:5432,db-b:5433/app?target_session_attrs=read-write&sslmode=require';

  it('splits into one URL per host, without target_session_attrs', () => {
    expect(splitHosts(url)).toEqual([
      'postgres://relay:s3cret@db-a:5432/app?sslmode=require',
      'postgres://relay:s3cret@db-b:5433/app?sslmode=require',
    ]);
    expect(splitHosts('postgres://u:p@one:5432/db')).toEqual(['postgres://u:p@one:5432/db']);
    expect(splitHosts('postgres://u:p@a,b/db?target_session_attrs=primary')).toEqual([
      'postgres://u:p@a/db',
      'postgres://u:p@b/db',
    ]);
  });

  it('is a valid DATABASE_URL, and its password is a secret for the logs', () => {
    expect(loadConfig({ env: { DATABASE_URL: url, KAFKA_BROKERS: 'k:9092' } }).databaseUrl).toBe(url);
    expect(() =>
      loadConfig({ env: { DATABASE_URL: 'postgres://u:p@a:5432,/db', KAFKA_BROKERS: 'k:9092' } }),
    ).toThrow(/DATABASE_URL.*several hosts: host1:5432,host2:5432/);
    expect(secretValues({ databaseUrl: url }, {})).toContain('s3cret');
  });
});
