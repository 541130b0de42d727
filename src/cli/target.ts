import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type ConfigFlags, loadConfig, TOKEN_FILE } from '../config/index.js';
import { SrdError } from '../errors.js';
import { GatewayClient, GatewayRequestError } from '../gateway/index.js';

/** Flags shared by commands that talk to a running daemon. */
export interface TargetFlags extends ConfigFlags {
  url?: string;
  timeout?: string;
}

/**
 * Where the running daemon is and its token: URL from --url, SMART_ROUTERD_URL, else the configured
 * bind/port; token from --token, SMART_ROUTERD_TOKEN, the config, else the state dir's token file.
 * Throws SRD_ERR_GATEWAY_CONNECT when no token can be found.
 */
export function resolveTarget(flags: TargetFlags): { url: string; token: string } {
  const { config, paths } = loadConfig(flags);
  const bind = config.gateway.bind === '0.0.0.0' || config.gateway.bind === '::' ? '127.0.0.1' : config.gateway.bind;
  const host = bind.includes(':') ? `[${bind}]` : bind;
  const url = flags.url ?? process.env.SMART_ROUTERD_URL ?? `ws://${host}:${config.gateway.port}`;
  let token = config.gateway.auth.token;
  if (!token) {
    const file = path.join(paths.stateDir, TOKEN_FILE);
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch {
      throw new SrdError('SRD_ERR_GATEWAY_CONNECT', `no token: pass --token, set SMART_ROUTERD_TOKEN, or start the daemon once so it writes ${file}`);
    }
  }
  return { url, token };
}

/**
 * Connects to the running daemon: URL from --url, SMART_ROUTERD_URL, else the configured
 * bind/port; token from --token, SMART_ROUTERD_TOKEN, the config, else the state dir's token file.
 * Throws SRD_ERR_GATEWAY_CONNECT with what to do when no token can be found or the daemon is down.
 */
export async function connectToDaemon(flags: TargetFlags): Promise<GatewayClient> {
  const { url, token } = resolveTarget(flags);
  const budgetMs = flags.timeout ? Number(flags.timeout) : 10_000;
  const deadline = Date.now() + budgetMs;
  for (;;) {
    try {
      return await GatewayClient.connect(url, {
        token,
        scopes: ['operator.read', 'operator.write', 'operator.admin'],
        timeoutMs: Math.max(1, deadline - Date.now()),
      });
    } catch (err) {
      // A daemon that is still starting (building DNA, warming workers) says retryable + retryAfterMs.
      const wait = err instanceof GatewayRequestError && err.error.retryable ? (err.error.retryAfterMs ?? 500) : null;
      if (wait === null || Date.now() + wait >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
