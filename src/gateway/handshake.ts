import { createHash, createPublicKey, randomUUID, timingSafeEqual, verify } from 'node:crypto';
import { z } from 'zod';
import {
  CloseCodes,
  type ConnectParams,
  ConnectParamsSchema,
  type ErrorShape,
  errorShape,
  formatIssues,
  MAX_BUFFERED_BYTES,
  MAX_PAYLOAD_BYTES,
  MIN_PROBE_PROTOCOL,
  PROTOCOL_VERSION,
} from './frames.js';

/** Operator scopes of the OpenClaw protocol (closed set). */
export const OPERATOR_SCOPES = [
  'operator.read',
  'operator.write',
  'operator.admin',
  'operator.approvals',
  'operator.questions',
  'operator.pairing',
  'operator.talk',
  'operator.talk.secrets',
] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

/** Scopes granted when `connect` names none. */
const DEFAULT_SCOPES: OperatorScope[] = ['operator.read', 'operator.write'];

/** An authenticated connection's identity. */
export interface Session {
  connId: string;
  role: 'operator';
  scopes: Set<string>;
  protocol: number;
  client: { id: string; mode: string; version: string; displayName?: string | undefined };
  /** Events this socket asked for with `router.subscribe` (e.g. `router.decision`). */
  subscriptions: Set<string>;
}

/** What the server needs to build `hello-ok`. */
export interface HelloContext {
  version: string;
  token: string;
  tokenHint: string;
  tickIntervalMs: number;
  methods: string[];
  events: string[];
  uptimeMs: () => number;
  health: () => unknown;
}

/** The `connect.challenge` a socket was sent (protocol reference §2.1). */
export interface Challenge {
  nonce: string;
  /** Epoch ms. */
  ts: number;
}

/** `connect.device` (protocol reference §2.2): all fields required when the block is present. */
const DeviceSchema = z.looseObject({
  id: z.string().min(1).max(128),
  publicKey: z.string().min(1).max(256),
  signature: z.string().min(1).max(512),
  signedAt: z.number().int(),
  nonce: z.string().min(1).max(128),
});

/** Outcome of a `connect` request. */
export type ConnectOutcome =
  | { ok: true; session: Session; hello: Record<string, unknown> }
  | { ok: false; error: ErrorShape; close: { code: number; reason: string } };

/**
 * Validates `connect` params, negotiates the protocol and checks the shared token
 * (OpenClaw protocol v4 handshake, protocol reference §2.2–2.4): schema failure → 1008,
 * protocol range without 4 (probe: without 3–4) → 1002 `protocol mismatch`, bad role → 1008,
 * missing or wrong token → 1008 with the `unauthorized: gateway token …` messages the CLI knows.
 */
export function handleConnect(params: unknown, ctx: HelloContext, challenge: Challenge): ConnectOutcome {
  const parsed = ConnectParamsSchema.safeParse(params);
  if (!parsed.success) {
    const message = `invalid connect params: ${formatIssues(parsed.error)}`;
    return fail(errorShape('INVALID_REQUEST', message), CloseCodes.POLICY, message);
  }
  const p = parsed.data;
  const floor = p.client.mode === 'probe' ? MIN_PROBE_PROTOCOL : PROTOCOL_VERSION;
  const negotiated = Math.min(p.maxProtocol, PROTOCOL_VERSION);
  if (negotiated < Math.max(p.minProtocol, floor)) {
    return fail(
      errorShape('INVALID_REQUEST', 'protocol mismatch', {
        details: {
          code: 'PROTOCOL_MISMATCH',
          clientMinProtocol: p.minProtocol,
          clientMaxProtocol: p.maxProtocol,
          expectedProtocol: PROTOCOL_VERSION,
          minimumProbeProtocol: MIN_PROBE_PROTOCOL,
        },
      }),
      CloseCodes.PROTOCOL_MISMATCH,
      'protocol mismatch',
    );
  }
  const role = p.role ?? 'operator';
  if (role !== 'operator') {
    return fail(errorShape('INVALID_REQUEST', 'invalid role', { details: { role, supportedRoles: ['operator'] } }), CloseCodes.POLICY, 'invalid role');
  }
  const presented = p.auth?.token ?? p.auth?.password;
  // The messages name where the token lives in general terms only: an unauthenticated peer
  // learns no path of this machine (issue 15). The daemon's ready line logs the file itself.
  if (presented === undefined || presented === '') {
    const message = `unauthorized: gateway token missing (pass this daemon's token: ${ctx.tokenHint})`;
    return fail(authError(message, 'AUTH_TOKEN_MISSING', 'token_missing'), CloseCodes.POLICY, message);
  }
  if (!safeEqual(presented, ctx.token)) {
    const message = `unauthorized: gateway token mismatch (use this daemon's token: ${ctx.tokenHint})`;
    return fail(authError(message, 'AUTH_TOKEN_MISMATCH', 'token_mismatch'), CloseCodes.POLICY, message);
  }
  const deviceFailure = checkDevice((params as { device?: unknown }).device, p, presented, challenge);
  if (deviceFailure)
    return fail(errorShape('INVALID_REQUEST', deviceFailure.message, { details: { code: deviceFailure.code } }), CloseCodes.POLICY, deviceFailure.message);
  const requested = p.scopes ?? DEFAULT_SCOPES;
  const scopes = new Set(requested.filter((s): s is OperatorScope => (OPERATOR_SCOPES as readonly string[]).includes(s)));
  const session: Session = {
    connId: randomUUID(),
    role: 'operator',
    scopes,
    protocol: negotiated,
    client: { id: p.client.id, mode: p.client.mode, version: p.client.version, displayName: p.client.displayName },
    subscriptions: new Set(),
  };
  const hello = {
    type: 'hello-ok',
    protocol: negotiated,
    server: { version: ctx.version, connId: session.connId },
    features: { methods: ctx.methods, events: ctx.events },
    snapshot: {
      presence: [],
      health: ctx.health(),
      stateVersion: { presence: 0, health: 0 },
      uptimeMs: Math.round(ctx.uptimeMs()),
      authMode: 'token',
    },
    auth: { role: 'operator', scopes: [...scopes] },
    policy: { maxPayload: MAX_PAYLOAD_BYTES, maxBufferedBytes: MAX_BUFFERED_BYTES, tickIntervalMs: ctx.tickIntervalMs },
  };
  return { ok: true, session, hello };
}

/** True when `scopes` satisfies `required` (operator.admin satisfies everything, as in OpenClaw). */
export function hasScope(scopes: Set<string>, required: OperatorScope): boolean {
  return scopes.has(required) || scopes.has('operator.admin');
}

/**
 * Checks a `connect.device` block when one is sent (protocol reference §2.2, OpenClaw
 * `device-auth.ts`): its nonce must be this socket's challenge nonce, so a signed connect cannot
 * be replayed on another socket, its id the SHA-256 of its Ed25519 public key, and its signature
 * valid over the v3 string `v3|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce|platform|deviceFamily`
 * or the legacy v2 one (the same without the last two fields). Returns the failure, or null.
 * Without a device block the shared token is the whole credential (what the OpenClaw CLI sends on
 * loopback), and the nonce binds nothing.
 */
function checkDevice(raw: unknown, p: ConnectParams, token: string, challenge: Challenge): { code: string; message: string } | null {
  if (raw === undefined) return null;
  const parsed = DeviceSchema.safeParse(raw);
  if (!parsed.success) return { code: 'DEVICE_AUTH_INVALID', message: `invalid connect params: ${formatIssues(parsed.error, '/params/device')}` };
  const d = parsed.data;
  if (d.nonce !== challenge.nonce)
    return { code: 'DEVICE_AUTH_NONCE_MISMATCH', message: 'device nonce mismatch: sign the connect.challenge nonce sent on this socket' };
  let key: ReturnType<typeof createPublicKey>;
  try {
    const raw32 = Buffer.from(d.publicKey, 'base64url');
    if (raw32.length !== 32) throw new Error('not 32 bytes');
    if (createHash('sha256').update(raw32).digest('hex') !== d.id)
      return { code: 'DEVICE_AUTH_ID_MISMATCH', message: 'device id is not the SHA-256 of its public key' };
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: d.publicKey }, format: 'jwk' });
  } catch {
    return { code: 'DEVICE_AUTH_INVALID', message: 'device publicKey is not a base64url Ed25519 key' };
  }
  const client = p.client as { id: string; mode: string; platform: string; deviceFamily?: unknown };
  const scopes = (p.scopes ?? []).join(',');
  const head = [d.id, client.id, client.mode, p.role ?? 'operator', scopes, String(d.signedAt), token, d.nonce];
  const v2 = ['v2', ...head].join('|');
  const v3 = ['v3', ...head, client.platform, typeof client.deviceFamily === 'string' ? client.deviceFamily : ''].join('|');
  const signature = Buffer.from(d.signature, 'base64url');
  for (const payload of [v3, v2]) if (verify(null, Buffer.from(payload), key, signature)) return null;
  return { code: 'DEVICE_AUTH_SIGNATURE_INVALID', message: 'device signature invalid' };
}

function authError(message: string, code: string, authReason: string): ErrorShape {
  return errorShape('INVALID_REQUEST', message, {
    details: { code, authReason, canRetryWithDeviceToken: false, recommendedNextStep: 'retry_with_token' },
  });
}

function fail(error: ErrorShape, code: number, reason: string): ConnectOutcome {
  return { ok: false, error, close: { code, reason } };
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
