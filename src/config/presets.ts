import type { Preset, RelayConfig } from './relay-config.js';

/**
 * Debezium's default outbox table (id, aggregatetype, aggregateid, type, payload) and what its
 * outbox event router writes by default: topic outbox.event.<aggregatetype>, key aggregateid,
 * value payload, header `id`.
 */
const DEBEZIUM_LAYOUT: Partial<RelayConfig> = {
  aggregateTypeColumn: 'aggregatetype',
  aggregateIdColumn: 'aggregateid',
  eventTypeColumn: 'type',
  headersColumn: '',
  timestampColumn: '',
  topicTemplate: 'outbox.event.{aggregatetype}',
  eventTypeHeader: '',
};

/** Kafka Connect: the router's record timestamp is its processing time, and partition placements apply. */
const CONNECT: Partial<RelayConfig> = {
  ...DEBEZIUM_LAYOUT,
  recordTimestamp: 'send',
  partitionPlacement: true,
};
/** Debezium Server's Kafka sink: no timestamp (the producer's send time), no partition (the key's). */
const SERVER: Partial<RelayConfig> = {
  ...DEBEZIUM_LAYOUT,
  recordTimestamp: 'send',
  partitionPlacement: false,
};

/**
 * Defaults that a preset changes. Each `debezium-*` migration profile reproduces one Debezium
 * converter setup byte for byte (README: moving from Debezium; test/compat runs each against
 * Debezium Server): `connect-*` with the worker's default SimpleHeaderConverter, `server-*`
 * with Debezium Server's default header format (JSON with schemas).
 */
export const PRESET_DEFAULTS: Record<Preset, Partial<RelayConfig>> = {
  default: {},
  debezium: DEBEZIUM_LAYOUT,
  'debezium-connect-string': {
    ...CONNECT,
    keyEncoding: 'string',
    valueEncoding: 'json-text',
    headerEncoding: 'string',
  },
  'debezium-connect-json': {
    ...CONNECT,
    keyEncoding: 'json-envelope',
    valueEncoding: 'json-envelope',
    headerEncoding: 'string',
  },
  'debezium-connect-expanded': {
    ...CONNECT,
    keyEncoding: 'json',
    valueEncoding: 'json-expanded',
    headerEncoding: 'string',
  },
  'debezium-server-string': {
    ...SERVER,
    keyEncoding: 'string',
    valueEncoding: 'json-text',
    headerEncoding: 'json-envelope',
  },
  'debezium-server-json': {
    ...SERVER,
    keyEncoding: 'json-envelope',
    valueEncoding: 'json-envelope',
    headerEncoding: 'json-envelope',
  },
  'debezium-server-json-plain': {
    ...SERVER,
    keyEncoding: 'json',
    valueEncoding: 'json-string',
    headerEncoding: 'json',
  },
  'debezium-server-expanded': {
    ...SERVER,
    keyEncoding: 'json',
    valueEncoding: 'json-expanded',
    headerEncoding: 'json',
  },
};
