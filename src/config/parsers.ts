import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { canonicalTable } from '../sql-quote.js';
import { splitHosts } from './postgres-url.js';

/** Field parsers: each turns raw text into a value or throws a ConfigError naming the form. */
export type Parser<T> = (raw: string, field: string) => T;

export const text: Parser<string> = (raw) => raw;

export const nonEmpty: Parser<string> = (raw, field) => {
  if (raw.trim() === '') throw new ConfigError(field, 'must not be empty');
  return raw.trim();
};

export function integer(min: number, max: number): Parser<number> {
  return (raw, field) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(field, `expected a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `7d`, `12h`, `30m`, `45s` or `500ms`, in milliseconds; empty, `0` or `off`: 0. */
export const duration: Parser<number> = (raw, field) => {
  const value = raw.trim().toLowerCase();
  if (value === '' || value === '0' || value === 'off') return 0;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  const amount = Number(match?.[1]);
  const unit = DURATION_UNITS_MS[match?.[2] ?? ''];
  if (!match || unit === undefined || !Number.isSafeInteger(amount * unit)) {
    throw new ConfigError(field, `expected a duration such as 7d, 12h, 30m or 45s (or off), got "${raw}"`);
  }
  return amount * unit;
};

export const boolean: Parser<boolean> = (raw, field) => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(field, `expected true or false, got "${raw}"`);
};

export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return (raw, field) => {
    const value = raw.trim() as T;
    if (!values.includes(value))
      throw new ConfigError(field, `expected one of ${values.join(', ')}, got "${raw}"`);
    return value;
  };
}

/** PostgreSQL identifiers we create and quote ourselves: lower case, so no case games. */
export const sqlName: Parser<string> = (raw, field) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
    throw new ConfigError(
      field,
      `expected a lower-case name of letters, digits and _ (at most 63), got "${raw}"`,
    );
  }
  return raw;
};

/**
 * `schema.table` or `table` (public schema), read as PostgreSQL reads it: unquoted parts fold to
 * lower case, quoted ones keep their case ("App"."OutboxEvent"). Kept in one canonical spelling.
 */
export const qualifiedTable: Parser<string> = (raw, field) => {
  try {
    return canonicalTable(raw);
  } catch {
    throw new ConfigError(
      field,
      `expected schema.table, e.g. public.outbox, or with quotes to keep upper case, e.g. "App"."OutboxEvent"; got "${raw}"`,
    );
  }
};

/** A column name, exactly as the table has it; surrounding double quotes (SQL's) are taken off. */
export const columnName: Parser<string> = (raw, field) => {
  const name = nonEmpty(raw, field);
  const quoted = /^"((?:[^"]|"")+)"$/.exec(name);
  return quoted ? (quoted[1] as string).replaceAll('""', '"') : name;
};
/** A column name, or empty for none. */
export const optionalColumnName: Parser<string> = (raw, field) =>
  raw.trim() === '' ? '' : columnName(raw, field);

export const postgresUrl: Parser<string> = (raw, field) => {
  for (const single of splitHosts(raw)) {
    let url: URL;
    try {
      url = new URL(single);
    } catch {
      throw new ConfigError(
        field,
        'expected a URL like postgres://user:password@host:5432/database (several hosts: host1:5432,host2:5432)',
      );
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new ConfigError(field, `expected a postgres:// URL, got the scheme "${url.protocol}"`);
    }
    if (url.pathname.length <= 1)
      throw new ConfigError(field, 'the URL names no database (postgres://…/database)');
  }
  return raw;
};

/** An http(s) URL, or empty for none. */
export const httpUrl: Parser<string> = (raw, field) => {
  if (raw.trim() === '') return '';
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(field, `expected a URL like http://registry:8081, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(field, `expected an http:// or https:// URL, got the scheme "${url.protocol}"`);
  }
  return raw.trim().replace(/\/+$/, '');
};

export const brokerList: Parser<string[]> = (raw, field) => {
  const brokers = raw
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  const bad = brokers.find((broker) => !/^[^\s:/]+:\d{1,5}$/.test(broker));
  if (brokers.length === 0 || bad !== undefined) {
    throw new ConfigError(field, `expected host:port[,host:port…], got "${bad ?? raw}"`);
  }
  return brokers;
};

/**
 * The path of a PEM file holding a block of the given kind (CERTIFICATE, PRIVATE KEY), read now so
 * that a wrong path is a configuration error, not a TLS failure later. Its content is never shown.
 */
export function pemFile(kind: 'CERTIFICATE' | 'PRIVATE KEY'): Parser<string> {
  return (raw, field) => {
    const path = raw.trim();
    if (path === '') return '';
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(field, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(content)) {
      throw new ConfigError(field, `${path} holds no PEM ${kind} block (-----BEGIN ${kind}-----)`);
    }
    return path;
  };
}
