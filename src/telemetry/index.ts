/** The telemetry room (issue 17): Prometheus metrics fed by the events of src/events.ts. */
export { type MetricSources, Metrics } from './metrics.js';
