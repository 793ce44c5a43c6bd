import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistryClient } from '../../src/avro/registry-client.js';
import { SchemaRegistryError } from '../../src/errors.js';

/**
 * The client's HTTP error mapping, against canned answers. The registry's real behaviour is
 * tested in test/integration/avro.test.ts; this covers what the local registry cannot do
 * (refuse credentials, fail with 5xx).
 */
describe('SchemaRegistryClient', () => {
  const seen: IncomingMessage[] = [];
  const answers = new Map<string, [number, unknown]>();
  let server: Server;
  let base = '';

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      const [status, body] = answers.get(`${request.method} ${request.url}`) ?? [404, { error_code: 40401 }];
      response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function failure(call: Promise<unknown>): Promise<SchemaRegistryError> {
    const error = await call.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SchemaRegistryError);
    return error as SchemaRegistryError;
  }

  it('sends basic auth, from the settings or from the URL, and leaves them out of the URL it calls', async () => {
    answers.set('GET /subjects', [200, []]);
    await new SchemaRegistryClient(base, { username: 'relay', password: 'pw' }).check();
    const fromUrl = new SchemaRegistryClient(base.replace('http://', 'http://sr:p%40ss@'));
    await fromUrl.check();
    const [settings, url] = seen.slice(-2).map((request) => request.headers.authorization);
    expect(settings).toBe(`Basic ${Buffer.from('relay:pw').toString('base64')}`);
    expect(url).toBe(`Basic ${Buffer.from('sr:p@ss').toString('base64')}`);
  });

  it('names the credential settings on 401, as a fatal error', async () => {
    answers.set('GET /subjects', [401, { error_code: 401, message: 'Unauthorized' }]);
    const error = await failure(new SchemaRegistryClient(base).check());
    expect(error.retriable).toBe(false);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/answered 401 \(Unauthorized\).*OUTBOX_SCHEMA_REGISTRY_USERNAME/);
  });

  it('retries 5xx and unreachable registries, not a refused schema', async () => {
    answers.set('POST /subjects/t-value/versions', [503, { message: 'overloaded' }]);
    expect((await failure(new SchemaRegistryClient(base).register('t-value', '"string"'))).retriable).toBe(
      true,
    );
    const down = await failure(new SchemaRegistryClient('http://127.0.0.1:9').check());
    expect(down.retriable).toBe(true);
    expect(down.message).toMatch(/cannot reach the schema registry at http:\/\/127\.0\.0\.1:9/);

    answers.set('POST /subjects/t-value/versions', [409, { error_code: 409, message: 'incompatible' }]);
    const refused = await failure(new SchemaRegistryClient(base).register('t-value', '"string"'));
    expect(refused.retriable).toBe(false);
    expect(refused.message).toMatch(/compatibility rule: add new fields with defaults/);
  });

  it('reads the latest version, and says what to do when the subject has none', async () => {
    answers.set('GET /subjects/a%2Fb-value/versions/latest', [
      200,
      { id: 12, version: 3, schema: '"string"' },
    ]);
    expect(await new SchemaRegistryClient(base).latest('a/b-value')).toEqual({
      id: 12,
      version: 3,
      schema: '"string"',
    });
    const missing = await failure(new SchemaRegistryClient(base).latest('none-value'));
    expect(missing.message).toMatch(/subject "none-value" has no schema: register one/);
  });
});
