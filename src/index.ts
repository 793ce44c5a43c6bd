export { type ConfigSources, loadConfig } from './config/load.js';
export { OPTIONS, type OptionSpec } from './config/options.js';
export type { RelayConfig } from './config/relay-config.js';
export {
  ConfigError,
  DecodeError,
  KafkaSendError,
  PoisonEventError,
  RelayError,
  ReplicationError,
  SchemaRegistryError,
  SetupError,
} from './errors.js';
export { createLogger } from './observability/logger.js';
export { OutboxRelay } from './relay/relay.js';
export type { RelayEvents, RelayState } from './relay-events.js';
export { formatLsn, type Lsn, parseLsn } from './replication/lsn.js';
