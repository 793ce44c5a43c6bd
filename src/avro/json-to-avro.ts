import avro from 'avsc';
import { PoisonEventError } from '../errors.js';

/** Confluent wire format: magic byte 0, the schema id as a big-endian int32, then Avro binary. */
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
const MAX_REPORTED_PROBLEMS = 5;

/** An Avro type ready to take the outbox's JSON payloads. */
export interface AvroSchema {
  readonly type: avro.Type;
  /** The type's full name, for messages and RecordNameStrategy. */
  readonly name: string;
  /** Whether JSON values need converting first (bytes and fixed arrive as base64 strings). */
  readonly hasBinary: boolean;
}

/** Parses a schema's JSON text; throws avsc's error (callers name where the text came from). */
export function parseAvroSchema(schemaText: string): AvroSchema {
  const type = avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema);
  return { type, name: type.name ?? type.typeName, hasBinary: containsBinary(type, new Set()) };
}

/**
 * The payload's JSON text as a Confluent-framed Avro record of the schema. A payload that is not
 * JSON, lacks a field without default, has a value of the wrong type, or has a field the schema
 * does not declare (which would otherwise be dropped silently) is a PoisonEventError naming each
 * offending path.
 */
export function encodeJsonAsAvro(schema: AvroSchema, schemaId: number, json: Buffer): Buffer {
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch (error) {
    throw new PoisonEventError(`the payload is not valid JSON: ${(error as Error).message}`, 'invalid-json');
  }
  if (schema.hasBinary) value = fromJson(schema.type, value);
  if (!schema.type.isValid(value, { noUndeclaredFields: true })) {
    const problems = problemsOf(schema.type, value);
    const shown = problems.slice(0, MAX_REPORTED_PROBLEMS).join('; ');
    const more =
      problems.length > MAX_REPORTED_PROBLEMS ? `; and ${problems.length - MAX_REPORTED_PROBLEMS} more` : '';
    throw new PoisonEventError(
      `the payload does not match Avro schema ${schema.name}: ${shown}${more}`,
      'schema-mismatch',
    );
  }
  const body = schema.type.toBuffer(value);
  const framed = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  framed.writeUInt8(MAGIC_BYTE, 0);
  framed.writeInt32BE(schemaId, 1);
  body.copy(framed, HEADER_BYTES);
  return framed;
}

/**
 * Every problem, for the error message. avsc stops at a record with undeclared fields, so that
 * check runs apart from the one that visits the fields.
 */
function problemsOf(type: avro.Type, value: unknown): string[] {
  const problems = new Set<string>();
  const errorHook = (path: string[], found: unknown, at: avro.Type) =>
    problems.add(describeProblem(path, found, at));
  type.isValid(value, { errorHook });
  type.isValid(value, { noUndeclaredFields: true, errorHook });
  return [...problems];
}

function describeProblem(path: string[], found: unknown, type: avro.Type): string {
  const where = path.length === 0 ? 'the payload' : `field "${path.join('.')}"`;
  if (found === undefined) return `${where} is missing (and has no default)`;
  if (type instanceof avro.types.RecordType && isPlainObject(found)) {
    const declared = new Set(type.fields.map((field) => field.name));
    const extra = Object.keys(found).filter((key) => !declared.has(key));
    if (extra.length > 0) {
      return `${where} has ${extra.map((key) => `"${key}"`).join(', ')}, not declared in ${type.name}`;
    }
  }
  return `${where} is ${JSON.stringify(found)?.slice(0, 60)}, not ${describeType(type)}`;
}

function describeType(type: avro.Type): string {
  if (type.name) return type.name;
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType)
    return `one of ${type.types.map(describeType).join(' | ')}`;
  return type.typeName;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function containsBinary(type: avro.Type, seen: Set<avro.Type>): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  if (type instanceof avro.types.BytesType || type instanceof avro.types.FixedType) return true;
  if (type instanceof avro.types.RecordType)
    return type.fields.some((field) => containsBinary(field.type, seen));
  if (type instanceof avro.types.ArrayType) return containsBinary(type.itemsType, seen);
  if (type instanceof avro.types.MapType) return containsBinary(type.valuesType, seen);
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType)
    return type.types.some((member) => containsBinary(member, seen));
  if (type instanceof avro.types.LogicalType) return containsBinary(type.underlyingType, seen);
  return false;
}

/**
 * JSON has no bytes: bytes and fixed values arrive base64-encoded (as Kafka Connect's JSON
 * converter writes them) and become Buffers here. Anything that does not fit is left as it is,
 * for validation to report.
 */
function fromJson(type: avro.Type, value: unknown): unknown {
  if (type instanceof avro.types.BytesType || type instanceof avro.types.FixedType) {
    return typeof value === 'string' ? Buffer.from(value, 'base64') : value;
  }
  if (type instanceof avro.types.RecordType && isPlainObject(value)) {
    const converted: Record<string, unknown> = { ...value };
    for (const field of type.fields) {
      if (field.name in value) converted[field.name] = fromJson(field.type, value[field.name]);
    }
    return converted;
  }
  if (type instanceof avro.types.ArrayType && Array.isArray(value)) {
    return value.map((item) => fromJson(type.itemsType, item));
  }
  if (type instanceof avro.types.MapType && isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fromJson(type.valuesType, item)]),
    );
  }
  if (type instanceof avro.types.UnwrappedUnionType) {
    const member = type.types.find((candidate) => candidate.isValid(fromJson(candidate, value)));
    return member ? fromJson(member, value) : value;
  }
  if (type instanceof avro.types.WrappedUnionType && isPlainObject(value)) {
    const [branch, inner] = Object.entries(value)[0] ?? [];
    const member = type.types.find((candidate) => candidate.branchName === branch);
    return member && branch !== undefined ? { [branch]: fromJson(member, inner) } : value;
  }
  if (type instanceof avro.types.LogicalType) return fromJson(type.underlyingType, value);
  return value;
}
