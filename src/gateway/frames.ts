import { z } from 'zod';
import type { WireErrorCode } from '../errors.js';

/**
 * Frames of the OpenClaw gateway protocol (v3–4), mirroring packages/gateway-protocol
 * schema/frames.ts: one schema per frame kind, a union on `type`, types derived with z.infer.
 * Unknown additive fields are tolerated (protocol reference §12).
 */

export { PROTOCOL_VERSION } from '../protocol.js';
/** Oldest protocol accepted from `client.mode: "probe"` connections (OpenClaw: minimum probe protocol). */
export const MIN_PROBE_PROTOCOL = 3;
/** Largest frame accepted before `connect` succeeds (OpenClaw MAX_PREAUTH_PAYLOAD_BYTES). */
export const MAX_PREAUTH_PAYLOAD_BYTES = 64 * 1024;
/** Largest frame accepted after (OpenClaw MAX_PAYLOAD_BYTES, 25 MiB). */
export const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
/** Outbound buffer limit advertised in hello-ok policy (OpenClaw: 50 MiB). */
export const MAX_BUFFERED_BYTES = 50 * 1024 * 1024;

/** Close codes used by the gateway (protocol reference §2.4). */
export const CloseCodes = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_MISMATCH: 1002,
  POLICY: 1008,
  TOO_LARGE: 1009,
  INTERNAL: 1011,
  SERVICE_RESTART: 1012,
  TRY_LATER: 1013,
} as const;

/** Request frame: `{type:"req", id, method, params?}`. */
export const RequestFrameSchema = z.looseObject({
  type: z.literal('req'),
  id: z.string().min(1),
  method: z.string().min(1),
  params: z.unknown().optional(),
  traceparent: z.string().max(128).optional(),
});
export type RequestFrame = z.infer<typeof RequestFrameSchema>;

/** Error object carried by failed responses (OpenClaw ErrorShape). */
export interface ErrorShape {
  code: WireErrorCode;
  message: string;
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
}

/** Response frame, paired with a prior request id. */
export interface ResponseFrame {
  type: 'res';
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: ErrorShape;
}

/** Event frame pushed by the server. */
export interface EventFrame {
  type: 'event';
  event: string;
  payload?: unknown;
  seq?: number;
}

/** Builds every wire error (STYLE §9): clients branch on `code`, then `details.code`. */
export function errorShape(
  code: WireErrorCode,
  message: string,
  extra: { details?: Record<string, unknown>; retryable?: boolean; retryAfterMs?: number } = {},
): ErrorShape {
  const shape: ErrorShape = { code, message };
  if (extra.details) shape.details = extra.details;
  if (extra.retryable !== undefined) shape.retryable = extra.retryable;
  if (extra.retryAfterMs !== undefined) shape.retryAfterMs = extra.retryAfterMs;
  return shape;
}

/** `res ok:true`. */
export function okResponse(id: string, payload: unknown): ResponseFrame {
  return { type: 'res', id, ok: true, payload };
}

/** `res ok:false`. */
export function errorResponse(id: string, error: ErrorShape): ResponseFrame {
  return { type: 'res', id, ok: false, error };
}

/** Client identity in `connect` (OpenClaw ConnectParams.client). */
const ClientInfoSchema = z.looseObject({
  id: z.string().min(1),
  version: z.string().min(1),
  platform: z.string().min(1),
  mode: z.string().min(1),
  displayName: z.string().optional(),
  instanceId: z.string().optional(),
});

/** `connect` params (OpenClaw ConnectParams; additive fields tolerated). */
export const ConnectParamsSchema = z.looseObject({
  minProtocol: z.number().int().min(1),
  maxProtocol: z.number().int().min(1),
  client: ClientInfoSchema,
  role: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  caps: z.array(z.string()).optional(),
  auth: z
    .looseObject({
      token: z.string().optional(),
      password: z.string().optional(),
    })
    .optional(),
});
export type ConnectParams = z.infer<typeof ConnectParamsSchema>;

/** `route` params. */
export const RouteParamsSchema = z.looseObject({
  text: z.string().max(1_000_000),
  sessionKey: z.string().optional(),
  channel: z.string().optional(),
});

/**
 * Text a correction can be learned from: at least one character that is neither whitespace nor a
 * control (Cc) or invisible format (Cf) character. The rule and its message belong to
 * src/memory/patch.ts (isLearnableText, EMPTY_PATCH_TEXT_MESSAGE), which the gateway may not
 * import (docs/architecture.md); test/memory/learnable-text.test.ts holds the two in step.
 */
const LEARNABLE_TEXT = /[^\s\p{Cc}\p{Cf}]/u;
const EMPTY_TEXT_MESSAGE = 'text has nothing to learn from: it is empty or only whitespace or control characters; send the message itself';

/** `route.feedback` params: name an earlier decision or resend the text, and the right tier. */
export const RouteFeedbackParamsSchema = z
  .looseObject({
    decisionId: z.string().min(1).optional(),
    text: z
      .string()
      .max(1_000_000)
      .refine((t) => LEARNABLE_TEXT.test(t), { message: EMPTY_TEXT_MESSAGE })
      .optional(),
    tier: z.enum(['flagship', 'lightweight']),
    label: z.enum(['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE']).optional(),
    /** Who corrected: an operator's explicit feedback (default) or `smart-routerd learn`. */
    origin: z.enum(['feedback', 'cli']).optional(),
  })
  .refine((p) => (p.decisionId === undefined) !== (p.text === undefined), { message: 'give exactly one of decisionId or text', path: ['decisionId'] });
export type RouteFeedbackParams = z.infer<typeof RouteFeedbackParamsSchema>;

/** Events a socket may subscribe to with `router.subscribe`. */
export const SUBSCRIBABLE_EVENTS = ['router.decision', 'router.usage'] as const;

/** `router.subscribe` params: the events wanted (default: the decision stream). */
export const SubscribeParamsSchema = z.looseObject({ events: z.array(z.enum(SUBSCRIBABLE_EVENTS)).min(1).default(['router.decision']) });

/** `memory.clear` params: an explicit confirmation, so a stray call cannot wipe the user's learning. */
export const MemoryClearParamsSchema = z.looseObject({ confirm: z.literal(true) });

/** Formats zod issues as `at /params/text: expected string` (STYLE §10). */
export function formatIssues(error: z.ZodError, root = '/params'): string {
  return error.issues.map((i) => `at ${[root, ...i.path.map(String)].join('/')}: ${i.message}`).join('; ');
}
