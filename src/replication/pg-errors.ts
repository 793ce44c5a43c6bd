import { ReplicationError } from '../errors.js';

interface PgErrorFields {
  code?: string;
  message?: string;
}

/** SQLSTATEs after which the same request can succeed later. */
const RETRIABLE_SQLSTATES = new Set(['55006', '57P01', '57P02', '57P03', '53300', '40001']);

/** Network error codes from Node for a server that is down or restarting. */
const RETRIABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

function advice(code: string | undefined, subject: string): string {
  switch (code) {
    case '55006':
      return `${subject} is in use by another process (another relay?); waiting for it to be released`;
    case '42704':
      return `${subject}: object missing; run \`outbox-relay init\` to create the publication and the slot`;
    case '28P01':
    case '28000':
      return 'authentication failed: check the user and password in DATABASE_URL';
    case '3D000':
      return 'the database in DATABASE_URL does not exist';
    case '42501':
      return 'permission denied: the role needs the REPLICATION attribute (ALTER ROLE <role> REPLICATION) and SELECT on the outbox table';
    case '55000':
      return `${subject} cannot be used: check wal_level=logical and that the slot has not been invalidated (SELECT wal_status FROM pg_replication_slots)`;
    default:
      return '';
  }
}

/** Wraps a pg or network error with a message that names the fix, and whether to retry. */
export function classifyPgError(error: unknown, subject: string): ReplicationError {
  if (error instanceof ReplicationError) return error;
  const fields = (error ?? {}) as PgErrorFields;
  const code = fields.code;
  const raw = fields.message ?? String(error);
  const isSqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  const retriable = isSqlState
    ? RETRIABLE_SQLSTATES.has(code) || code.startsWith('08')
    : RETRIABLE_NETWORK_CODES.has(code ?? '') || /Connection terminated|connection timeout/i.test(raw);
  const hint = advice(code, subject);
  const message = `${raw}${isSqlState ? ` (SQLSTATE ${code})` : ''}${hint ? `: ${hint}` : ''}`;
  return new ReplicationError(message, isSqlState ? code : undefined, retriable, { cause: error });
}
