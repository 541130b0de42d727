import type { MethodTable } from './types.js';

/** What OpenClaw's methods read from the daemon. */
export interface OpenclawHandlers {
  health: () => unknown;
  status: () => unknown;
  config: () => unknown;
}

/**
 * OpenClaw's own methods that `openclaw doctor`, `status` and `gateway probe` call, answered
 * with minimal truthful payloads (protocol reference §4): smart-routerd has no channels,
 * agents, pairing or telemetry exporters, and says so by returning empty collections.
 */
export function openclawMethods(options: OpenclawHandlers): MethodTable {
  return {
    health: { scope: 'operator.read', handler: () => options.health() },
    status: { scope: 'operator.read', handler: () => options.status() },
    'system-presence': { scope: 'operator.read', handler: () => [] },
    'config.get': { scope: 'operator.read', handler: () => options.config() },
    'channels.status': {
      scope: 'operator.read',
      handler: () => ({ ts: Date.now(), channelOrder: [], channelLabels: {}, channels: {}, channelAccounts: {}, channelDefaultAccountId: {} }),
    },
    'diagnostics.stability': { scope: 'operator.read', handler: () => ({ events: [] }) },
    'doctor.memory.status': { scope: 'operator.read', handler: () => ({ embedding: { ok: true, checked: false } }) },
    'device.pair.list': { scope: 'operator.pairing', handler: () => ({ pending: [], paired: [] }) },
  };
}
