import { OPTIONS } from './options.js';
import type { RelayConfig } from './relay-config.js';

const REDACTED = '[redacted]';

const SECRET_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)[^@\s/]+@/gi;

/** Removes passwords from URLs anywhere in a text (error messages, stack traces). */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_IN_URL, `$1${REDACTED}@`);
}

/** A URL with its password replaced, for logs and error messages. */
export const redactUrl = scrubSecrets;

/** The configuration as it may be logged: secrets out, URLs (any of them) without passwords. */
export function redactConfig(config: RelayConfig): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const spec of OPTIONS) {
    const value = copy[spec.key];
    if (spec.key === 'databaseUrl' || !spec.secret) {
      if (typeof value === 'string') copy[spec.key] = redactUrl(value);
    } else if (value) {
      copy[spec.key] = REDACTED;
    }
  }
  return copy;
}
