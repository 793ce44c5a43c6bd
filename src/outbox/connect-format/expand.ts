import { jacksonString, javaDouble } from './jackson.js';
import { type JsonNode, parseJsonTree } from './json-tree.js';

/** The Connect schema Debezium infers for an expanded payload (every part optional). */
export type InferredSchema =
  | { readonly type: 'string' | 'boolean' | 'int32' | 'int64' | 'double' }
  | { readonly type: 'array'; readonly items: InferredSchema }
  | {
      readonly type: 'struct';
      readonly name: string | null;
      readonly fields: readonly { readonly name: string; readonly schema: InferredSchema }[];
    };

/**
 * What Debezium's outbox router does with a payload under `table.expand.json.payload=true`:
 * - `expanded`: the payload became a Struct; `valueJson` is how JsonConverter writes it.
 * - `kept`: expansion failed (not an object or array, not JSON, an array of mixed types, ...) and
 *   the payload stays a string: Debezium logs "JSON expansion failed" and goes on.
 * - `schemaless`: an empty top-level array: no schema at all, the payload stays a string.
 * - `debezium-stops`: the schema was inferred but the value does not fit it (a top-level array, an
 *   integer beyond 64 bits, array elements of different number types in objects): Debezium's engine
 *   fails on the record and stops. `valueJson` is what the relay publishes instead: the document
 *   rendered the same way, with such numbers written as they are.
 */
export type Expansion =
  | {
      readonly kind: 'expanded' | 'debezium-stops';
      readonly schema: InferredSchema;
      readonly valueJson: string;
    }
  | { readonly kind: 'kept' | 'schemaless' };

class InferenceError extends Error {}

export function expandPayload(text: string, rootName: string): Expansion {
  if (!(text.startsWith('{') || text.startsWith('['))) return { kind: 'kept' };
  let schema: InferredSchema | null;
  let document: JsonNode;
  try {
    document = parseJsonTree(text);
    schema = inferSchema(rootName, document);
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof InferenceError) return { kind: 'kept' };
    throw error;
  }
  if (schema === null) return { kind: 'schemaless' };
  const fits = schema.type === 'struct' && valueFits(document, schema);
  return { kind: fits ? 'expanded' : 'debezium-stops', schema, valueJson: renderValue(document, schema) };
}

/** JsonSchemaData.toConnectSchema: null where Debezium leaves the field out (null, empty array). */
function inferSchema(key: string | null, node: JsonNode): InferredSchema | null {
  switch (node.kind) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return { type: numberType(node.numberKind) };
    case 'array':
      return node.items.length === 0 ? null : { type: 'array', items: inferElementSchema(key, node.items) };
    case 'object': {
      const fields: { name: string; schema: InferredSchema }[] = [];
      for (const [name, value] of node.fields) {
        const fieldSchema = inferSchema(key ? `${key}.${name}` : name, value);
        if (fieldSchema !== null && !fields.some((field) => field.name === name)) {
          fields.push({ name, schema: fieldSchema });
        }
      }
      return { type: 'struct', name: key, fields };
    }
    case 'null':
      return null;
  }
}

function numberType(kind: 'int' | 'long' | 'big' | 'double'): 'int32' | 'int64' | 'double' {
  return kind === 'int' ? 'int32' : kind === 'long' ? 'int64' : 'double';
}

/**
 * The element schema of a non-empty array: its elements (nulls aside) must be of one JSON type
 * and, for numbers, of one inferred type; objects' schemas are merged, first field first.
 * (Debezium merges them in a HashSet's order: elements whose objects have different fields may
 * list those fields in another order there.)
 */
function inferElementSchema(key: string | null, items: readonly JsonNode[]): InferredSchema {
  const present = items.filter((item) => item.kind !== 'null');
  const first = present[0];
  for (const item of present) {
    if (item.kind !== first?.kind) throw new InferenceError('not a homogenous array');
    if (
      item.kind === 'number' &&
      first.kind === 'number' &&
      numberType(item.numberKind) !== numberType(first.numberKind)
    ) {
      throw new InferenceError('not a homogenous array: different number types');
    }
  }
  if (first?.kind === 'object') {
    const fields: { name: string; schema: InferredSchema }[] = [];
    for (const item of present) {
      const schema = inferSchema(key, item);
      if (schema?.type !== 'struct') continue;
      for (const field of schema.fields)
        if (!fields.some((known) => known.name === field.name)) fields.push(field);
    }
    return { type: 'struct', name: key, fields };
  }
  const schema = first === undefined ? null : inferSchema(null, first);
  if (schema === null) throw new InferenceError('array has unrecognized member schema');
  return schema;
}

/** Whether Connect's Struct accepts the value for the schema (JsonSchemaData.toConnectData's puts). */
function valueFits(node: JsonNode, schema: InferredSchema): boolean {
  switch (node.kind) {
    case 'null':
      return true;
    case 'string':
    case 'boolean':
      return schema.type === node.kind;
    case 'number':
      return node.numberKind !== 'big' && schema.type === numberType(node.numberKind);
    case 'array':
      return schema.type === 'array' && node.items.every((item) => valueFits(item, schema.items));
    case 'object':
      return (
        schema.type === 'struct' &&
        schema.fields.every((field) => {
          const value = node.fields.get(field.name);
          return value === undefined || valueFits(value, field.schema);
        })
      );
  }
}

/** JsonConverter's rendering of the Struct: a struct lists its schema's fields, null where absent. */
function renderValue(node: JsonNode, schema: InferredSchema): string {
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'string':
      return jacksonString(node.value);
    case 'boolean':
      return String(node.value);
    case 'number':
      return node.numberKind === 'double'
        ? javaDouble(Number(node.literal))
        : BigInt(node.literal).toString();
    case 'array':
      return `[${node.items.map((item) => renderValue(item, schema.type === 'array' ? schema.items : schemaOf(item))).join(',')}]`;
    case 'object': {
      const struct = schema.type === 'struct' ? schema : schemaOf(node);
      const fields = struct.type === 'struct' ? struct.fields : [];
      const rendered = fields.map((field) => {
        const value = node.fields.get(field.name);
        return `${jacksonString(field.name)}:${value === undefined ? 'null' : renderValue(value, field.schema)}`;
      });
      return `{${rendered.join(',')}}`;
    }
  }
}

/** A schema for a value that does not fit the inferred one, so that the relay can still render it. */
function schemaOf(node: JsonNode): InferredSchema {
  return inferSchema(null, node) ?? { type: 'string' };
}

/** The schema as JsonConverter writes it in its envelope (its key order). */
export function inferredSchemaJson(schema: InferredSchema, field?: string): string {
  const fieldName = field === undefined ? '' : `,"field":${jacksonString(field)}`;
  switch (schema.type) {
    case 'array':
      return `{"type":"array","items":${inferredSchemaJson(schema.items)},"optional":true${fieldName}}`;
    case 'struct': {
      const fields = schema.fields.map((child) => inferredSchemaJson(child.schema, child.name)).join(',');
      const name = schema.name === null ? '' : `,"name":${jacksonString(schema.name)}`;
      return `{"type":"struct","fields":[${fields}],"optional":true${name}${fieldName}}`;
    }
    default:
      return `{"type":"${schema.type}","optional":true${fieldName}}`;
  }
}
