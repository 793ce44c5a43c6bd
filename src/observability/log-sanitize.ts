import { isSecretKey, REDACTED, scrubSecrets } from '../config/redact.js';

const MAX_DEPTH = 8;

/**
 * A copy of a logged value with secret keys censored and secrets scrubbed from every string, at
 * any depth: pino's `redact` paths reach one level only, and driver errors carry their connection
 * settings deeper than that (err.client.connectionParameters.password). Errors met on the way go
 * through `serializeError`, which sanitizes their fields in turn: JSON.stringify would otherwise
 * write their enumerable fields as they are.
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
    copy[key] = isSecretKey(key) ? REDACTED : sanitize(field, serializeError, depth + 1, seen);
  }
  return copy;
}
