import type { Preset, RelayConfig } from './relay-config.js';

/**
 * Defaults that a preset changes. `debezium` reads Debezium's default outbox table
 * (id, aggregatetype, aggregateid, type, payload) and writes what its outbox event router
 * writes by default: topic outbox.event.<aggregatetype>, key aggregateid, value payload,
 * header `id`.
 */
export const PRESET_DEFAULTS: Record<Preset, Partial<RelayConfig>> = {
  default: {},
  debezium: {
    aggregateTypeColumn: 'aggregatetype',
    aggregateIdColumn: 'aggregateid',
    eventTypeColumn: 'type',
    headersColumn: '',
    timestampColumn: '',
    topicTemplate: 'outbox.event.{aggregatetype}',
    eventTypeHeader: '',
  },
};
