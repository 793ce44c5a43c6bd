import { createRequire } from 'node:module';

/** The part of @opentelemetry/api this module reads; loaded only if the application has it. */
interface OpenTelemetryApi {
  trace: {
    getActiveSpan(): { spanContext(): SpanContextLike } | undefined;
  };
}

interface SpanContextLike {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState?: { serialize(): string };
}

const INVALID_TRACE_ID = '00000000000000000000000000000000';

function loadOpenTelemetry(): OpenTelemetryApi | undefined {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi;
  } catch {
    return undefined;
  }
}

let api: OpenTelemetryApi | undefined | null = null;

/**
 * The active span's W3C trace context as headers (`traceparent`, and `tracestate` when it has
 * one), when @opentelemetry/api is installed and a span is active; else undefined. Written
 * from the span context itself, so no propagator needs to be registered.
 */
export function traceContextHeaders(): Record<string, string> | undefined {
  if (api === null) api = loadOpenTelemetry();
  const span = api?.trace.getActiveSpan()?.spanContext();
  if (!span || span.traceId === INVALID_TRACE_ID) return undefined;
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  const headers: Record<string, string> = { traceparent: `00-${span.traceId}-${span.spanId}-${flags}` };
  const state = span.traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}
