import { createRequire } from 'node:module';
import { ConfigError, errorMessage } from '../../../errors.js';
import { LibrdkafkaErrors } from './errors.js';

export type Librdkafka = typeof import('@confluentinc/kafka-javascript');

const PACKAGE = '@confluentinc/kafka-javascript';
/** The package's error module: the only way to librdkafka's err2str (see errors.ts for why it is needed). */
const ERROR_MODULE = `${PACKAGE}/lib/error.js`;

interface ErrorModule {
  create(code: number): { readonly message: string };
}

export interface LoadedLibrdkafka {
  readonly client: Librdkafka;
  readonly errors: LibrdkafkaErrors;
}

/**
 * The native client, an optional dependency: loaded only when OUTBOX_KAFKA_CLIENT=librdkafka, so
 * that a relay on kafkajs runs where its native build failed. The one place that reaches into
 * the package's internals; a unit test breaks when they change.
 */
export function loadLibrdkafka(): LoadedLibrdkafka {
  const require = createRequire(import.meta.url);
  let client: Librdkafka;
  try {
    client = require(PACKAGE) as Librdkafka;
  } catch (error) {
    throw new ConfigError(
      'OUTBOX_KAFKA_CLIENT',
      `librdkafka needs the optional package ${PACKAGE}, which is not installed or did not build (${errorMessage(error).split('\n')[0]}). ` +
        'Reinstall where npm can download its prebuilt binary or build it (g++, make, python3, libssl-dev, zlib1g-dev; see the README), or set OUTBOX_KAFKA_CLIENT=kafkajs',
    );
  }
  const errorModule = require(ERROR_MODULE) as Partial<ErrorModule>;
  if (typeof errorModule.create !== 'function') {
    throw new Error(
      `${ERROR_MODULE} no longer has create(code): pin ${PACKAGE} in package.json or update src/sinks/kafka/librdkafka/load.ts`,
    );
  }
  const create = errorModule.create;
  return { client, errors: new LibrdkafkaErrors(client.CODES.ERRORS, (code) => create(code).message) };
}
