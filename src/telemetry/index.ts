/** The telemetry room (issue 17): Prometheus metrics and OpenTelemetry traces fed by the events of src/events.ts. */
export { type MetricSources, Metrics } from './metrics.js';
export { Tracing, type TracingOptions, tracingEndpoint } from './tracing.js';
