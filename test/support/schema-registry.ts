import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { serviceUrls, stackCommand } from './services.js';
import { readStackEnv, STACK_ENV } from './stack-env.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Apicurio Registry serves the Confluent Schema Registry API under this path. */
const CCOMPAT_PATH = '/apis/ccompat/v7';

let container: StartedTestContainer | undefined;

/**
 * A real Confluent-compatible Schema Registry: SCHEMA_REGISTRY_URL if set, else the local stack's
 * (`scripts/stack.sh registry-up`, Apicurio from Maven Central), else an Apicurio container.
 */
export async function startSchemaRegistry(): Promise<string> {
  if (process.env.SCHEMA_REGISTRY_URL) return process.env.SCHEMA_REGISTRY_URL;
  if (serviceUrls().kind === 'local-stack') {
    await stackCommand('registry-up');
    const url = (await readStackEnv())?.SCHEMA_REGISTRY_URL;
    if (!url) throw new Error(`registry-up wrote no SCHEMA_REGISTRY_URL to ${STACK_ENV}`);
    return url;
  }
  container ??= await new GenericContainer('apicurio/apicurio-registry:3.0.9')
    .withEnvironment({ APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD' })
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp(`${CCOMPAT_PATH}/subjects`, 8080))
    .start();
  return `http://${container.getHost()}:${container.getMappedPort(8080)}${CCOMPAT_PATH}`;
}

export async function stopSchemaRegistryContainer(): Promise<void> {
  await container?.stop();
  container = undefined;
}

/** Plain REST calls, so that the tests check the registry's state without the relay's client. */
export class RegistryRest {
  constructor(readonly url: string) {}

  async versions(subject: string): Promise<number[]> {
    return (await this.call('GET', `/subjects/${encodeURIComponent(subject)}/versions`)) as number[];
  }

  async subjects(): Promise<string[]> {
    return (await this.call('GET', '/subjects')) as string[];
  }

  async idOf(subject: string, version: number): Promise<number> {
    const body = await this.call('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
    return (body as { id: number }).id;
  }

  async register(subject: string, schema: object): Promise<number> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema: JSON.stringify(schema),
    });
    return (body as { id: number }).id;
  }

  private async call(method: string, path: string, payload?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }
}
