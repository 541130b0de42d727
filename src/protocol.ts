/**
 * Protocol vocabulary shared by the gateway (server and client) and the OpenClaw plugin: the wire
 * version and the client side of the OpenClaw protocol v4 handshake. At the root of src/ so every
 * room may use it; no imports, because the plugin runs inside OpenClaw and must not pull in zod or ws.
 */

/** Wire protocol smart-routerd speaks (OpenClaw PROTOCOL_VERSION). */
export const PROTOCOL_VERSION = 4;

/** `params.client` of a connect request (OpenClaw protocol: client identity). */
export interface ConnectClient {
  id: string;
  version: string;
  platform: string;
  mode: string;
  displayName?: string;
  instanceId?: string;
}

/**
 * The `connect` request frame, serialised, that a client sends after `connect.challenge`
 * (OpenClaw protocol v4 handshake): protocol 4 only, role operator, `scopes`, token auth.
 */
export function connectRequest(id: string, client: ConnectClient, scopes: readonly string[], token: string): string {
  return JSON.stringify({
    type: 'req',
    id,
    method: 'connect',
    params: {
      minProtocol: PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      client,
      role: 'operator',
      scopes,
      caps: [],
      auth: { token },
    },
  });
}
