// Proves the local schema registry (`npm run stack -- registry-up`) speaks the Confluent Schema Registry
// REST API: registers an Avro schema under a fresh subject, reads it back by id, is refused an incompatible
// second version (the registry's default rule is BACKWARD, as Confluent's), registers a backward-compatible one, then (when @kafkajs/confluent-schema-registry can be
// loaded) encodes and decodes a record with that client. Deletes its subject at the end. Exits 1 on a failure.
//
// Usage: node scripts/registry/smoke.mjs [BASE_URL]
//   BASE_URL: the Confluent-compatible API, e.g. http://127.0.0.1:18081/apis/ccompat/v7; default: $SCHEMA_REGISTRY_URL,
//   then SCHEMA_REGISTRY_URL in .stack/env. The client is imported from the project's node_modules, else
//   required from the node_modules under $SMOKE_CLIENT_DIR (a directory where it was installed with --no-save).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

function baseUrl() {
  if (process.argv[2]) return process.argv[2];
  if (process.env.SCHEMA_REGISTRY_URL) return process.env.SCHEMA_REGISTRY_URL;
  try {
    const line = readFileSync(join(ROOT, '.stack', 'env'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('SCHEMA_REGISTRY_URL='));
    if (line) return line.slice('SCHEMA_REGISTRY_URL='.length);
  } catch {
    // no .stack/env: fall through
  }
  return 'http://127.0.0.1:18081/apis/ccompat/v7';
}

const base = baseUrl().replace(/\/+$/, '');

async function call(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers:
      body === undefined ? { accept: CONTENT_TYPE } : { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

const steps = [];
async function step(name, fn) {
  const start = performance.now();
  try {
    const detail = await fn();
    const ms = (performance.now() - start).toFixed(0);
    steps.push({ name, ok: true });
    console.log(`ok   ${name} (${ms} ms)${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    steps.push({ name, ok: false });
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : error}`);
  }
}

const subject = `smoke-${Date.now()}-value`;
const v1 = {
  type: 'record',
  name: 'OrderPlaced',
  namespace: 'dev.outbox_relay.smoke',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: 'string' },
  ],
};
// Backward-compatible: a reader with v2 reads v1 data (the new field has a default).
const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
// Not backward-compatible: a new field without a default.
const incompatible = { ...v1, fields: [...v1.fields, { name: 'total', type: 'double' }] };

let id1;
let id2;
console.log(`schema registry ${base}, subject ${subject}`);

await step('GET /subjects answers a JSON array', async () => {
  const { status, json } = await call('GET', '/subjects');
  assert.equal(status, 200);
  assert.ok(Array.isArray(json), `not an array: ${JSON.stringify(json)}`);
  return `${json.length} subject(s)`;
});

// Apicurio's ccompat API answers NONE here even while its default global rule (BACKWARD) is enforced.
await step('GET /config (global compatibility, as reported)', async () => {
  const { status, json } = await call('GET', '/config');
  assert.equal(status, 200);
  return JSON.stringify(json);
});

await step('POST /subjects/{s}/versions registers v1', async () => {
  const { status, json } = await call('POST', `/subjects/${subject}/versions`, {
    schema: JSON.stringify(v1),
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(typeof json.id, 'number');
  id1 = json.id;
  return `id ${id1}`;
});

await step('GET /schemas/ids/{id} returns v1', async () => {
  const { status, json } = await call('GET', `/schemas/ids/${id1}`);
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(JSON.parse(json.schema), v1);
  return `schemaType ${json.schemaType ?? '(absent: AVRO)'}`;
});

await step('registering v1 again returns the same id', async () => {
  const { status, json } = await call('POST', `/subjects/${subject}/versions`, {
    schema: JSON.stringify(v1),
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(json.id, id1);
});

await step('POST /subjects/{s} (lookup) finds v1 as version 1', async () => {
  const { status, json } = await call('POST', `/subjects/${subject}`, { schema: JSON.stringify(v1) });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(json.id, id1);
  assert.equal(json.version, 1);
});

await step('an incompatible v2 is reported and refused with 409 (global BACKWARD rule)', async () => {
  const check = await call('POST', `/compatibility/subjects/${subject}/versions/latest`, {
    schema: JSON.stringify(incompatible),
  });
  assert.equal(check.status, 200, JSON.stringify(check.json));
  assert.equal(check.json.is_compatible, false);
  const { status, json } = await call('POST', `/subjects/${subject}/versions`, {
    schema: JSON.stringify(incompatible),
  });
  assert.equal(status, 409, JSON.stringify(json));
  return `error_code ${json?.error_code}`;
});

await step('a backward-compatible v2 is registered as version 2', async () => {
  const check = await call('POST', `/compatibility/subjects/${subject}/versions/latest`, {
    schema: JSON.stringify(v2),
  });
  assert.equal(check.json?.is_compatible, true, JSON.stringify(check.json));
  const { status, json } = await call('POST', `/subjects/${subject}/versions`, {
    schema: JSON.stringify(v2),
  });
  assert.equal(status, 200, JSON.stringify(json));
  id2 = json.id;
  assert.notEqual(id2, id1);
  const versions = await call('GET', `/subjects/${subject}/versions`);
  assert.deepEqual(versions.json, [1, 2]);
  const latest = await call('GET', `/subjects/${subject}/versions/latest`);
  assert.equal(latest.json.version, 2);
  assert.equal(latest.json.id, id2);
  assert.deepEqual(JSON.parse(latest.json.schema), v2);
  return `id ${id2}, versions [1,2]`;
});

await step('PUT /config/{s} BACKWARD, GET /config/{s}', async () => {
  const { status, json } = await call('PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
  assert.equal(status, 200, JSON.stringify(json));
  const read = await call('GET', `/config/${subject}`);
  return `${JSON.stringify(json)}, then ${JSON.stringify(read.json)}`;
});

async function loadClient() {
  try {
    return await import('@kafkajs/confluent-schema-registry');
  } catch {
    const dir = process.env.SMOKE_CLIENT_DIR;
    if (!dir) return undefined;
    return createRequire(join(dir, 'package.json'))('@kafkajs/confluent-schema-registry');
  }
}

const client = await loadClient();
if (client) {
  const { SchemaRegistry, SchemaType } = client.default ?? client;
  const registry = new SchemaRegistry({ host: base });
  await step('@kafkajs/confluent-schema-registry: register, encode, decode', async () => {
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v2) },
      { subject },
    );
    assert.equal(id, id2);
    assert.equal(await registry.getLatestSchemaId(subject), id2);
    assert.equal(await registry.getRegistryId(subject, 1), id1);
    const encoded = await registry.encode(id1, { id: 42, customer: 'ada' });
    assert.equal(encoded[0], 0);
    assert.equal(encoded.readInt32BE(1), id1);
    const decoded = await registry.decode(encoded);
    assert.deepEqual({ ...decoded }, { id: 42, customer: 'ada' });
    // A v1 record read with the v2 schema (the reader's): the new field takes its default.
    const asV2 = await registry.decode(encoded, { [SchemaType.AVRO]: { readerSchema: v2 } });
    assert.deepEqual({ ...asV2 }, { id: 42, customer: 'ada', note: null });
    return `wire format: magic 0, id ${id1}, ${encoded.length} bytes`;
  });
} else {
  console.log('skip @kafkajs/confluent-schema-registry: not installed (see SMOKE_CLIENT_DIR in the usage)');
}

await step('DELETE /subjects/{s}, then permanently', async () => {
  const soft = await call('DELETE', `/subjects/${subject}`);
  assert.equal(soft.status, 200, JSON.stringify(soft.json));
  assert.deepEqual(soft.json, [1, 2]);
  const hard = await call('DELETE', `/subjects/${subject}?permanent=true`);
  assert.equal(hard.status, 200, JSON.stringify(hard.json));
  const { json } = await call('GET', '/subjects');
  assert.ok(!json.includes(subject));
});

const failed = steps.filter((s) => !s.ok).length;
console.log(`${steps.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
