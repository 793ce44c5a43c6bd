import { splitHosts } from '../config/postgres-url.js';
import { scrubSecrets } from '../config/redact.js';

export const REDACTED = '[redacted]';

/** Keys whose values never reach a log line, at any depth of a logged object or error. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password',
  'databaseUrl',
  'connectionString',
  'kafkaSaslPassword',
  'kafkaSslKeyPassword',
  'sasl',
  // TLS options as clients carry them (kafkajs, pg): key material and the key's passphrase.
  'ssl',
  'passphrase',
  'sslpassword',
  'schemaRegistryPassword',
  // An HTTP request's basic auth: the password, base64-encoded.
  'authorization',
]);

const MAX_DEPTH = 8;

/**
 * A copy of a logged value with secret keys censored and URL passwords removed from every
 * string, at any depth: pino's `redact` paths reach one level only, and driver errors carry
 * their connection settings deeper than that (err.client.connectionParameters.password).
 * Errors met on the way go through `serializeError`, which sanitizes their fields in turn:
 * JSON.stringify would otherwise write their enumerable fields as they are.
 */
export function sanitize(
  value: unknown,
  serializeError: (error: Error) => unknown,
  depth = 0,
  seen = new WeakSet<object>(),
): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || value instanceof Date) return value;
  if (seen.has(value) || depth >= MAX_DEPTH) return '[omitted]';
  seen.add(value);
  if (value instanceof Error) return serializeError(value);
  if (Array.isArray(value)) return value.map((item) => sanitize(item, serializeError, depth + 1, seen));
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] = SECRET_KEYS.has(key) ? REDACTED : sanitize(field, serializeError, depth + 1, seen);
  }
  return copy;
}

/**
 * JSON-safe form of scrubSecrets for a whole serialized line: the password may not span a
 * quote or backslash, so the scrub can never eat across two JSON strings.
 */
const SECRET_IN_URL_IN_JSON = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@"\\]+:)[^@\s/"\\]+@/gi;

/** Secrets shorter than this are not searched for in lines: they would censor ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * The last line of defence, over each serialized line: URL passwords, and the configured
 * secret values themselves (raw, JSON-escaped and URL-encoded), wherever they ended up.
 */
export function lineScrubber(secrets: readonly string[]): (line: string) => string {
  const needles = [
    ...new Set(
      secrets
        .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
        .flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]),
    ),
  ].sort((a, b) => b.length - a.length);
  return (line) => {
    let clean = line.replace(SECRET_IN_URL_IN_JSON, `$1${REDACTED}@`);
    for (const needle of needles) clean = clean.split(needle).join(REDACTED);
    return clean;
  };
}

/** The secret values of a database URL: its password, as written and decoded. */
export function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(splitHosts(url)[0] ?? url);
    const secrets = parsed.password ? [parsed.password, decodeURIComponent(parsed.password)] : [];
    // libpq's sslpassword (an encrypted sslkey's password) travels in the query string.
    const sslPassword = parsed.searchParams.get('sslpassword');
    if (sslPassword) secrets.push(sslPassword, encodeURIComponent(sslPassword));
    return secrets;
  } catch {
    return [];
  }
}
