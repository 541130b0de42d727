import { SrdError } from '../../errors.js';
import type { RouteDecision, RouteOptions } from '../../routing/index.js';
import { formatIssues, RouteParamsSchema, SubscribeParamsSchema } from '../frames.js';
import { hasScope } from '../handshake.js';
import type { MethodTable } from './types.js';

/** What `route` and `router.stats` need from the daemon. */
export interface RouteHandlers {
  route: (text: string, opts: RouteOptions) => Promise<RouteDecision>;
  stats: () => unknown;
}

/**
 * smart-routerd's own methods: `route` ({text, sessionKey?, channel?} → decision). A prefix in a
 * routed message is recorded as a learning event only for sockets holding operator.write.
 */
export function routeMethods(options: RouteHandlers): MethodTable {
  return {
    route: {
      scope: 'operator.read',
      handler: (params, session) => {
        const parsed = RouteParamsSchema.safeParse(params);
        if (!parsed.success) throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `invalid route params: ${formatIssues(parsed.error)}`);
        return options.route(parsed.data.text, { learn: hasScope(session.scopes, 'operator.write') });
      },
    },
    'router.stats': { scope: 'operator.read', handler: () => options.stats() },
    // The live decision stream (issue 17): this socket gets a `router.decision` event per decision
    // from now on, from any client (WebSocket `route`, the OpenClaw plugin, the model API).
    'router.subscribe': {
      scope: 'operator.read',
      handler: (params, session) => {
        const parsed = SubscribeParamsSchema.safeParse(params ?? {});
        if (!parsed.success) throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `invalid router.subscribe params: ${formatIssues(parsed.error)}`);
        for (const e of parsed.data.events) session.subscriptions.add(e);
        return { subscribed: [...session.subscriptions] };
      },
    },
  };
}
