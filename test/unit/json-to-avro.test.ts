import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { encodeJsonAsAvro, parseAvroSchema } from '../../src/avro/json-to-avro.js';
import { PoisonEventError } from '../../src/errors.js';

const ORDER_CREATED = JSON.stringify({
  type: 'record',
  name: 'OrderCreated',
  namespace: 'com.acme.orders',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'total', type: 'double' },
    { name: 'items', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'currency', type: 'string', default: 'EUR' },
    { name: 'signature', type: ['null', 'bytes'], default: null },
  ],
});

const schema = parseAvroSchema(ORDER_CREATED);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

function decode(framed: Buffer): { schemaId: number; value: Record<string, unknown> } {
  expect(framed[0]).toBe(0);
  return { schemaId: framed.readInt32BE(1), value: { ...schema.type.fromBuffer(framed.subarray(5)) } };
}

function mismatch(payload: unknown): PoisonEventError {
  try {
    encodeJsonAsAvro(schema, 1, json(payload));
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonEventError);
    return error as PoisonEventError;
  }
  throw new Error('expected a PoisonEventError');
}

describe('encodeJsonAsAvro', () => {
  it('frames Avro binary after the magic byte and the big-endian schema id', () => {
    const payload = {
      orderId: 'o-1',
      total: 12.5,
      items: ['a', 'b'],
      note: 'gift',
      currency: 'USD',
      signature: null,
    };
    const { schemaId, value } = decode(encodeJsonAsAvro(schema, 70_000, json(payload)));
    expect(schemaId).toBe(70_000);
    expect(value).toEqual(payload);
  });

  it('fills fields with defaults that the payload leaves out', () => {
    const { value } = decode(encodeJsonAsAvro(schema, 1, json({ orderId: 'o-2', total: 1, items: [] })));
    expect(value).toMatchObject({ note: null, currency: 'EUR', signature: null });
  });

  it('takes bytes as base64, as Kafka Connect writes them in JSON', () => {
    const signature = Buffer.from([0, 1, 254, 255]);
    const payload = { orderId: 'o-3', total: 1, items: [], signature: signature.toString('base64') };
    expect(decode(encodeJsonAsAvro(schema, 1, json(payload))).value.signature).toEqual(signature);
  });

  it('names each missing field, wrong type and undeclared field', () => {
    const error = mismatch({ total: '12.5', items: ['a'], discount: 3 });
    expect(error.reason).toBe('schema-mismatch');
    expect(error.message).toContain('com.acme.orders.OrderCreated');
    expect(error.message).toContain('field "orderId" is missing');
    expect(error.message).toContain('field "total" is "12.5", not double');
    expect(error.message).toContain('"discount", not declared in com.acme.orders.OrderCreated');
  });

  it('reports a payload of the wrong shape, and one that is not JSON', () => {
    expect(mismatch([1, 2]).message).toContain('the payload is [1,2], not com.acme.orders.OrderCreated');
    expect(() => encodeJsonAsAvro(schema, 1, Buffer.from('{"orderId":'))).toThrowError(
      expect.objectContaining({ reason: 'invalid-json' }),
    );
  });

  it('reads schemas with named types used twice, and records ambiguous unions in Avro JSON form', () => {
    const nested = parseAvroSchema(
      JSON.stringify({
        type: 'record',
        name: 'Moved',
        fields: [
          { name: 'from', type: { type: 'record', name: 'Point', fields: [{ name: 'x', type: 'int' }] } },
          { name: 'to', type: 'Point' },
          {
            name: 'by',
            type: [
              { type: 'record', name: 'Walk', fields: [{ name: 'steps', type: 'int' }] },
              { type: 'record', name: 'Ride', fields: [{ name: 'km', type: 'double' }] },
            ],
          },
        ],
      }),
    );
    const framed = encodeJsonAsAvro(
      nested,
      9,
      json({ from: { x: 1 }, to: { x: 2 }, by: { Ride: { km: 2.5 } } }),
    );
    const decoded = nested.type.fromBuffer(framed.subarray(5)) as { by: { Ride: { km: number } } };
    expect(decoded.by.Ride.km).toBe(2.5);
    expect(nested.type).toBeInstanceOf(avro.types.RecordType);
  });
});
