/**
 * The OpenClaw plugin entry (`openclaw.extensions` in dist/plugin/package.json): OpenClaw imports
 * this module inside its own process and calls `register(api)`. It imports nothing outside
 * src/plugin/ and no package, so it loads in OpenClaw's runtime without the daemon's modules.
 */
import { readFileSync } from 'node:fs';
import type { SocketFactory } from './connection.js';
import { createModelResolveHandler } from './hook.js';
import { PLUGIN_ID, PLUGIN_MANIFEST } from './manifest.js';
import { prefixStripReplacement } from './prefix.js';
import { type Logger, SmartRouter } from './router.js';
import { type PluginSettings, resolveSettings } from './settings.js';
import type { PluginApi, PluginEntry } from './types.js';

/**
 * OpenClaw 2026.9.6 evaluates the entry module afresh for each registry it builds (one `full`
 * registration at start-up, then `discovery` ones) and runs the hooks of whichever registry is
 * active, so the connection lives in a process-wide slot instead of module state: every
 * registration with the same daemon address shares one connection, and a registration with
 * another address (the config changed) replaces it.
 */
const SLOT = Symbol.for('smart-routerd.openclaw-plugin.router');
interface Slot {
  key: string;
  router: SmartRouter;
}
type GlobalWithSlot = typeof globalThis & { [SLOT]?: Slot };

/** The shared router for these settings, created (or replaced) on first use. */
function routerFor(settings: PluginSettings, logger: Logger, socket: SocketFactory): SmartRouter {
  const g = globalThis as GlobalWithSlot;
  const key = `${settings.url}\n${settings.tokenKey}`;
  const current = g[SLOT];
  if (current?.key === key) return current.router;
  current?.router.close();
  const router = new SmartRouter({ url: settings.url, token: settings.token, socket, logger, version: pluginVersion() });
  g[SLOT] = { key, router };
  return router;
}

/** Closes the shared connection (gateway_stop). */
function closeShared(): void {
  const g = globalThis as GlobalWithSlot;
  g[SLOT]?.router.close();
  delete g[SLOT];
}

/** Node ≥ 22 (every Node OpenClaw runs on) has a global WebSocket; older Node would need `ws`. */
function globalSocket(): SocketFactory | undefined {
  const WS = (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket;
  return WS ? (url) => new WS(url) as ReturnType<SocketFactory> : undefined;
}

let cachedVersion: string | undefined;
function pluginVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cachedVersion = typeof pkg.version === 'string' ? `smart-routerd-plugin/${pkg.version}` : 'smart-routerd-plugin';
  } catch {
    cachedVersion = 'smart-routerd-plugin';
  }
  return cachedVersion;
}

/** Builds the plugin; tests pass their own socket factory (Node 20 has no global WebSocket). */
export function createPlugin(options: { socket?: SocketFactory; env?: NodeJS.ProcessEnv } = {}): PluginEntry {
  return {
    id: PLUGIN_ID,
    name: PLUGIN_MANIFEST.name,
    description: PLUGIN_MANIFEST.description,
    register(api: PluginApi): void {
      // cli-metadata and setup-only loads have no runtime: nothing to register.
      if (api.registrationMode === 'cli-metadata' || api.registrationMode === 'setup-only') return;
      const settings = resolveSettings(api.pluginConfig, options.env);
      const logger = api.logger;
      const socket = options.socket ?? globalSocket();
      if (!socket) {
        logger.warn('smart-routerd: this Node has no WebSocket; the plugin stays idle and OpenClaw chooses models itself');
        return;
      }
      const router = () => routerFor(settings, logger, socket);
      // OpenClaw has no runner timeout for this hook by default; ours is the real bound, this a backstop.
      api.on('before_model_resolve', createModelResolveHandler(settings, router, logger), { timeoutMs: Math.max(250, settings.timeoutMs * 5) });
      api.on('gateway_stop', () => closeShared());
      if (settings.stripPrefix) {
        const replacement = prefixStripReplacement(settings.prefix);
        if (replacement && api.registerTextTransforms) api.registerTextTransforms({ input: [replacement] });
      }
      // Connect ahead of the first turn, but only in the live runtime: discovery loads open nothing.
      if (api.registrationMode === undefined || api.registrationMode === 'full') router().warm();
    },
  };
}

/** The plugin as OpenClaw loads it. */
export default createPlugin();

/** Closes and forgets the process-wide connection (tests; OpenClaw uses gateway_stop). */
export function closeSharedRouter(): void {
  closeShared();
}
