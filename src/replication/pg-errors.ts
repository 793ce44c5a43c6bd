import { ReplicationError } from '../errors.js';

interface PgErrorFields {
  code?: string;
  message?: string;
}

/** SQLSTATEs after which the same request can succeed later. */
const RETRIABLE_SQLSTATES = new Set(['55006', '57P01', '57P02', '57P03', '53300', '40001']);

/** Node's codes for a server certificate that does not verify against sslrootcert. */
const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Network error codes from Node for a server that is down or restarting. */
const RETRIABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

function advice(code: string | undefined, subject: string, role: string): string {
  if (code !== undefined && TLS_VERIFY_CODES.has(code)) {
    return "TLS: the server's certificate did not verify; check sslrootcert in DATABASE_URL (the CA that signed it) and that it names the host in DATABASE_URL";
  }
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
      return `permission denied: the role ${role} needs the REPLICATION attribute (ALTER ROLE ${role} REPLICATION) and SELECT on the outbox table`;
    case '55000':
      return `${subject} cannot be used: check wal_level=logical and that the slot has not been invalidated (SELECT wal_status FROM pg_replication_slots)`;
    default:
      return '';
  }
}

/**
 * Wraps a pg or network error with a message that names the fix, and whether to retry.
 * `role` is DATABASE_URL's user, named in the advice where it is the role that must change.
 */
export function classifyPgError(error: unknown, subject: string, role = '<role>'): ReplicationError {
  if (error instanceof ReplicationError) return error;
  const fields = (error ?? {}) as PgErrorFields;
  const code = fields.code;
  const raw = fields.message ?? String(error);
  const isSqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  const retriable = isSqlState
    ? RETRIABLE_SQLSTATES.has(code) || code.startsWith('08')
    : RETRIABLE_NETWORK_CODES.has(code ?? '') || /Connection terminated|connection timeout/i.test(raw);
  const hint = advice(code, subject, role);
  const message = `${raw}${isSqlState ? ` (SQLSTATE ${code})` : ''}${hint ? `: ${hint}` : ''}`;
  return new ReplicationError(message, isSqlState ? code : undefined, retriable, { cause: error });
}
