/**
 * The plugin's side of the gateway handshake (reference §2): the `connect` request answering
 * `connect.challenge`, and what the connection reads from the daemon's answer to it.
 */
import { randomUUID } from 'node:crypto';
import { connectRequest } from '../protocol.js';
import { isRecord } from './socket.js';

/** `tick` interval assumed until `hello-ok.policy.tickIntervalMs` says otherwise (reference §2.3). */
export const DEFAULT_TICK_MS = 30_000;

/**
 * The `connect` request with id `connectId`: client `gateway-client`/`backend` at `version` with a
 * fresh instance id, scopes operator.read + operator.write, token auth.
 */
export function connectFrame(connectId: string, version: string, token: string): string {
  const client = {
    id: 'gateway-client',
    version,
    platform: process.platform,
    mode: 'backend',
    displayName: 'openclaw-plugin:smart-routerd',
    instanceId: randomUUID(),
  };
  return connectRequest(connectId, client, ['operator.read', 'operator.write'], token);
}

/** The tick interval `hello-ok` announces (`payload.policy.tickIntervalMs`, ms), else DEFAULT_TICK_MS. */
export function helloTickMs(payload: unknown): number {
  const hello = isRecord(payload) ? payload : {};
  const policy = isRecord(hello.policy) ? hello.policy : {};
  return typeof policy.tickIntervalMs === 'number' && policy.tickIntervalMs > 0 ? policy.tickIntervalMs : DEFAULT_TICK_MS;
}

/** A refused `connect`: the daemon's message, and the wait it asks for (ms) when it says the refusal is retryable. */
export function connectRefusal(error: unknown): { message: string; retryAfterMs: number | undefined } {
  const e = isRecord(error) ? error : {};
  return {
    message: typeof e.message === 'string' ? e.message : 'connect failed',
    retryAfterMs: e.retryable === true && typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined,
  };
}
