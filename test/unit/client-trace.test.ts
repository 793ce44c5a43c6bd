import { context, createTraceState, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, type Statement } from '../../src/client/index.js';
import { traceContextOf } from '../../src/client/trace-consumer.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';

describe('trace context from the publishing span to the consumer', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  const outbox = createOutbox<Record<string, unknown>, Statement[]>(
    async (into, statement) => {
      into.push(statement);
    },
    { via: 'message' },
  );
  const event = { aggregateType: 'order', aggregateId: 'o-1', eventType: 'OrderPlaced', payload: {} };
  const headersOf = (statement: Statement) => JSON.parse(String(statement.values[1])).headers;

  it('writes the active span’s traceparent and tracestate, and nothing without a span', () => {
    const span = trace.wrapSpanContext({
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('vendor=x'),
    });
    const inSpan = context.with(trace.setSpan(ROOT_CONTEXT, span), () => outbox.statement(event));
    expect(headersOf(inSpan)).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=x' });
    expect(headersOf(outbox.statement(event))).toBeUndefined();
  });

  it('reads them back into a context whose span context is the publisher’s, remote', () => {
    const parent = traceContextOf({
      traceparent: Buffer.from(`00-${traceId}-${spanId}-01`),
      tracestate: 'vendor=x',
    });
    const spanContext = trace.getSpanContext(parent);
    expect(spanContext).toMatchObject({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(spanContext?.traceState?.get('vendor')).toBe('x');
    for (const bad of [
      undefined,
      'garbage',
      `00-${'0'.repeat(32)}-${spanId}-01`,
      `ff-${traceId}-${spanId}-01`,
    ]) {
      expect(trace.getSpanContext(traceContextOf({ traceparent: bad }, ROOT_CONTEXT))).toBeUndefined();
    }
  });
});
