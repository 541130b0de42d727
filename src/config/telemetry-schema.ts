import { z } from 'zod';

/**
 * `telemetry` (issue 17): OpenTelemetry traces, off unless an OTLP endpoint is set here or in the
 * daemon's `OTEL_EXPORTER_OTLP_ENDPOINT` (which wins). Metrics (`GET /metrics`) need no setting.
 */
export const TelemetrySchema = z
  .object({
    otlp: z
      .object({
        /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); spans are POSTed to `<endpoint>/v1/traces`. Unset: no traces. */
        endpoint: z.url({ protocol: /^https?$/ }).optional(),
      })
      .strict()
      .prefault({}),
    /** Serve Prometheus metrics at `GET /metrics` (off: no prom-client, no counters, /metrics is 404). */
    metrics: z.boolean().default(true),
    /** Put the routed message text on spans (`gen_ai.input.messages`). Off: spans never carry text. */
    captureContent: z.boolean().default(false),
  })
  .strict();
