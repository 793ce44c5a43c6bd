import { errorMessage, SchemaRegistryError } from '../errors.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const REQUEST_TIMEOUT_MS = 10_000;

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface SubjectVersion {
  readonly id: number;
  readonly version: number;
  /** The schema's JSON text. */
  readonly schema: string;
}

/**
 * The four calls of the Confluent Schema Registry REST API the relay needs. Each failure is a
 * SchemaRegistryError: retriable when the registry is unreachable or answers 5xx/429, fatal when
 * it refuses (credentials, unknown subject, incompatible schema), with the fix in the message.
 * Retrying is the caller's job, so that an outage shows in the relay's state and metrics.
 */
export class SchemaRegistryClient {
  private readonly base: string;
  private readonly authorization: string | undefined;

  constructor(url: string, credentials?: RegistryCredentials) {
    const parsed = new URL(url);
    // fetch() refuses URLs with credentials; take them as basic auth instead.
    const fromUrl = parsed.username
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : undefined;
    parsed.username = '';
    parsed.password = '';
    this.base = parsed.toString().replace(/\/+$/, '');
    const auth = credentials ?? fromUrl;
    this.authorization = auth
      ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
      : undefined;
  }

  /** Reaches the registry and proves the credentials (GET /subjects). */
  async check(): Promise<void> {
    await this.call('GET', '/subjects', undefined, { what: 'list subjects' });
  }

  /** Registers the schema under the subject (a no-op returning the id if it is there already). */
  async register(subject: string, schema: string): Promise<number> {
    const body = await this.call(
      'POST',
      `/subjects/${enc(subject)}/versions`,
      { schema },
      {
        what: `register a schema under "${subject}"`,
      },
    );
    return readId(body, subject);
  }

  /** The id of a schema already registered under the subject. */
  async lookup(subject: string, schema: string): Promise<SubjectVersion> {
    const body = await this.call(
      'POST',
      `/subjects/${enc(subject)}`,
      { schema },
      {
        what: `look up a schema under "${subject}"`,
        notFound: `the schema is not registered under "${subject}": register it, or let the relay register it (OUTBOX_AVRO_REGISTER=true, or run --register)`,
      },
    );
    return readVersion(body, subject);
  }

  /** The subject's latest version. */
  async latest(subject: string): Promise<SubjectVersion> {
    const body = await this.call('GET', `/subjects/${enc(subject)}/versions/latest`, undefined, {
      what: `read the latest version of "${subject}"`,
      notFound: `subject "${subject}" has no schema: register one, or give the relay its schemas (OUTBOX_AVRO_SCHEMAS_DIR, OUTBOX_AVRO_REGISTER=true)`,
    });
    return readVersion(body, subject);
  }

  private async call(method: string, path: string, payload: unknown, request: RequestText): Promise<unknown> {
    const headers: Record<string, string> = { accept: CONTENT_TYPE };
    if (payload !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.authorization) headers.authorization = this.authorization;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw new SchemaRegistryError(
        `cannot reach the schema registry at ${this.base} to ${request.what}: ${errorMessage(cause)}`,
        undefined,
        true,
        { cause: error },
      );
    }
    const text = await response.text().catch(() => '');
    const body = parseBody(text);
    if (response.ok) return body;
    throw this.refusal(response.status, body, request);
  }

  private refusal(status: number, body: unknown, { what, notFound }: RequestText): SchemaRegistryError {
    const said = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : body;
    const detail = `the schema registry answered ${status}${said ? ` (${String(said)})` : ''} when asked to ${what}`;
    if (status >= 500 || status === 429 || status === 408) {
      return new SchemaRegistryError(detail, status, true);
    }
    const fix = (() => {
      if (status === 401 || status === 403)
        return 'check OUTBOX_SCHEMA_REGISTRY_USERNAME and OUTBOX_SCHEMA_REGISTRY_PASSWORD, and that this user may read and register subjects';
      if (status === 404 && notFound) return notFound;
      if (status === 409)
        return "the schema breaks the subject's compatibility rule: add new fields with defaults, or change the rule deliberately";
      if (status === 422) return 'the registry rejected the schema as invalid: fix the .avsc file';
      if (status === 404)
        return 'check OUTBOX_SCHEMA_REGISTRY_URL (for Apicurio, the Confluent API is under /apis/ccompat/v7)';
      return 'see the registry log';
    })();
    return new SchemaRegistryError(`${detail}; ${fix}`, status, false);
  }
}

/** What a request is for, in the words of its error messages. */
interface RequestText {
  readonly what: string;
  /** The fix when the registry answers 404 (a subject or schema it does not hold). */
  readonly notFound?: string;
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
}

function readId(body: unknown, subject: string): number {
  const id = (body as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'number') {
    throw new SchemaRegistryError(
      `the schema registry's answer for "${subject}" has no schema id`,
      undefined,
      false,
    );
  }
  return id;
}

function readVersion(body: unknown, subject: string): SubjectVersion {
  const { version, schema, schemaType, references } = (body ?? {}) as Record<string, unknown>;
  if (typeof version !== 'number' || typeof schema !== 'string') {
    throw new SchemaRegistryError(
      `the schema registry's answer for "${subject}" has no version or schema`,
      undefined,
      false,
    );
  }
  if (schemaType !== undefined && schemaType !== 'AVRO') {
    throw new SchemaRegistryError(
      `subject "${subject}" holds a ${String(schemaType)} schema, not Avro`,
      undefined,
      false,
    );
  }
  if (Array.isArray(references) && references.length > 0) {
    throw new SchemaRegistryError(
      `subject "${subject}"'s schema has references, which outbox-relay does not resolve; inline the referenced types`,
      undefined,
      false,
    );
  }
  return { id: readId(body, subject), version, schema };
}
