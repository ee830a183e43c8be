import { ROOT_CONTEXT, context, propagation, trace, SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span };

export interface TracingOptions {
  /** telemetry.otlpEndpoint: base URL of an OTLP/HTTP collector; '' records nothing. */
  otlpEndpoint: string;
  /** telemetry.sampleRatio: share of new traces recorded when exporting. */
  sampleRatio: number;
  serviceName: string;
  version: string;
  /** Tests pass an in-memory exporter (spans are handed over at once). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Exports what is buffered and stops; idempotent. */
  shutdown(): Promise<void>;
}

let installed: { provider: NodeTracerProvider; owner: Tracing } | undefined;

/**
 * Installs OpenTelemetry once per process (the API's globals are process-wide, and `run all` holds
 * every service): W3C trace context propagation always, so traceparent travels through every
 * Kafka hop and the records' trace ids are W3C ids; spans are recorded and exported only when an
 * OTLP endpoint (or a test exporter) is given, otherwise the sampler drops them at no cost.
 * A second call returns a no-op handle: the first installer owns the provider.
 */
export function installTracing(opts: TracingOptions): Tracing {
  if (installed !== undefined) return { shutdown: async () => undefined };
  const exporting = opts.exporter !== undefined || opts.otlpEndpoint !== '';
  const exporter = opts.exporter ?? (exporting ? new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) : undefined);
  const root = opts.sampleRatio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(opts.sampleRatio);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName, [ATTR_SERVICE_VERSION]: opts.version }),
    sampler: exporting ? new ParentBasedSampler({ root }) : new AlwaysOffSampler(),
    spanProcessors: exporter === undefined ? [] : [opts.exporter !== undefined ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  provider.register();
  let done = false;
  const owner: Tracing = {
    async shutdown() {
      if (done) return;
      done = true;
      await provider.shutdown().catch(() => undefined);
      trace.disable(); context.disable(); propagation.disable();
      installed = undefined;
    },
  };
  installed = { provider, owner };
  return owner;
}

const tracer = (): ReturnType<typeof trace.getTracer> => trace.getTracer('careloop');

/** The W3C headers (traceparent, tracestate) of the active context, to put on a Kafka record. */
export function traceHeaders(active: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier;
}

/** The context a record's headers carry (the root context when they carry none). */
export function contextFromHeaders(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(context.active(), headers);
}

/** The active trace id (32 hex digits, W3C), or undefined outside any span. */
export function activeTraceId(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc !== undefined && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

/**
 * Runs work inside a span that is the active context (so what it publishes carries it onwards);
 * the span ends when the work settles and records a failure's code. Attributes carry no PHI.
 */
export async function inSpan<T>(name: string, kind: SpanKind, attributes: Record<string, string | number>, parent: Context, work: (span: Span) => Promise<T>): Promise<T> {
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string }).code ?? 'error' });
    throw err;
  } finally {
    span.end();
  }
}

/** A server span continuing the caller's traceparent header, ended by the caller. */
export function startServerSpan(name: string, headers: Readonly<Record<string, string>>, attributes: Record<string, string>): Span {
  return tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, contextFromHeaders(headers));
}
