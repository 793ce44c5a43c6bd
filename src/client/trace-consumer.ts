import { type Context, context, createTraceState, type SpanContext, trace } from '@opentelemetry/api';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A header value as Kafka clients give it. */
type HeaderValue = string | Buffer | (string | Buffer)[] | null | undefined;

function text(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === null || first === undefined ? undefined : first.toString();
}

/**
 * For a consumer: the trace context an event was published in (its `traceparent` and
 * `tracestate` headers) as an OpenTelemetry context, to start the handling span in:
 *
 *   const parent = traceContextOf(message.headers);
 *   await tracer.startActiveSpan('handle OrderPlaced', {}, parent, async (span) => { ... });
 *
 * Without a valid `traceparent`, the context given (the active one by default).
 */
export function traceContextOf(
  headers: Readonly<Record<string, HeaderValue>> | undefined,
  base: Context = context.active(),
): Context {
  const match = TRACEPARENT.exec(text(headers?.traceparent) ?? '');
  if (!match || match[1] === 'ff' || /^0+$/.test(match[2] ?? '') || /^0+$/.test(match[3] ?? '')) return base;
  const state = text(headers?.tracestate);
  const spanContext: SpanContext = {
    traceId: match[2] as string,
    spanId: match[3] as string,
    traceFlags: Number.parseInt(match[4] as string, 16),
    isRemote: true,
    ...(state ? { traceState: createTraceState(state) } : {}),
  };
  return trace.setSpanContext(base, spanContext);
}
