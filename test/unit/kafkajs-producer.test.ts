import type { RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { unacknowledgedPartitions } from '../../src/sinks/kafka/kafkajs/producer.js';

const ack = (topicName: string, partition: number): RecordMetadata => ({
  topicName,
  partition,
  errorCode: 0,
});

describe('unacknowledgedPartitions (the check against kafkajs resolving a partly sent batch)', () => {
  it('names each targeted partition missing from the result, and nothing when all answered', () => {
    const targeted = new Set(['a[0]', 'a[2]', 'b[1]']);
    expect(unacknowledgedPartitions(targeted, [ack('a', 0), ack('a', 2), ack('b', 1)])).toEqual([]);
    // The shape of tulios/kafkajs#1303: b[1] moved to the broker that had answered for a[0] and a[2].
    expect(unacknowledgedPartitions(targeted, [ack('a', 0), ack('a', 2)])).toEqual(['b[1]']);
    expect(unacknowledgedPartitions(targeted, [ack('a', 0), ack('b', 2)])).toEqual(['a[2]', 'b[1]']);
  });
});
