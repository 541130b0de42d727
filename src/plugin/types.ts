/**
 * The slice of OpenClaw's plugin API the plugin uses, written structurally so the package does
 * not depend on `openclaw` (names and shapes from openclaw@2026.9.6 dist/plugin-sdk: PluginApi,
 * PluginHookBeforeModelResolveEvent/Result, PluginHookAgentContext, PluginLogger,
 * PluginTextTransforms).
 */
import type { ModelOverride } from './models.js';
import type { Logger } from './router.js';

/** `before_model_resolve` event: the current prompt only, no session messages (docs/plugins/hooks). */
export interface ModelResolveEvent {
  prompt: string;
  attachments?: Array<{ kind: string; mimeType?: string }>;
}

/** The hook context fields read (all optional in OpenClaw). */
export interface AgentHookContext {
  trigger?: string;
  sessionKey?: string;
  channel?: string;
  agentId?: string;
  modelProviderId?: string;
  modelId?: string;
}

/** `before_model_resolve` handler. */
export type ModelResolveHandler = (event: ModelResolveEvent, ctx?: AgentHookContext) => Promise<ModelOverride | undefined>;

/** How OpenClaw loaded the plugin (docs/plugins/sdk-entrypoints/registration-mode.md). */
export type RegistrationMode = 'full' | 'discovery' | 'tool-discovery' | 'setup-only' | 'setup-runtime' | 'cli-metadata';

/** The registration API handed to `register(api)`. */
export interface PluginApi {
  id?: string;
  registrationMode?: RegistrationMode;
  pluginConfig?: unknown;
  logger: Logger & { error?: (message: string) => void };
  on(hook: 'before_model_resolve', handler: ModelResolveHandler, options?: { priority?: number; timeoutMs?: number }): void;
  on(hook: 'gateway_stop', handler: () => void | Promise<void>): void;
  registerTextTransforms?: (transforms: { input?: Array<{ from: string | RegExp; to: string }> }) => void;
}

/** What an OpenClaw plugin entry module exports by default (definePluginEntry's result shape). */
export interface PluginEntry {
  id: string;
  name: string;
  description: string;
  register(api: PluginApi): void;
}
