import { SrdError } from '../../errors.js';
import { formatIssues, MemoryClearParamsSchema, type RouteFeedbackParams, RouteFeedbackParamsSchema } from '../frames.js';
import type { MethodTable } from './types.js';

/** What the learning methods need from the daemon. */
export interface LearningHandlers {
  /** Records a correction durably; resolves with what was stored. */
  feedback: (params: RouteFeedbackParams) => Promise<unknown>;
  stats: () => unknown;
  exportRecords: () => unknown;
  clear: () => Promise<unknown>;
  reload: () => Promise<unknown>;
}

/**
 * User learning over the gateway (issue 4): `route.feedback` (operator.write) is acknowledged only
 * once the correction is durable; `memory.stats` / `memory.export` read (operator.read);
 * `memory.clear` needs operator.admin and `{confirm: true}`; `router.reload` (operator.admin)
 * re-reads config and DNA like SIGHUP.
 */
export function learningMethods(h: LearningHandlers): MethodTable {
  return {
    'route.feedback': {
      scope: 'operator.write',
      handler: (params) => {
        const parsed = RouteFeedbackParamsSchema.safeParse(params ?? {});
        if (!parsed.success) throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `invalid route.feedback params: ${formatIssues(parsed.error)}`);
        return h.feedback(parsed.data);
      },
    },
    'memory.stats': { scope: 'operator.read', handler: () => h.stats() },
    'memory.export': { scope: 'operator.read', handler: () => h.exportRecords() },
    'memory.clear': {
      scope: 'operator.admin',
      handler: (params) => {
        const parsed = MemoryClearParamsSchema.safeParse(params ?? {});
        if (!parsed.success) throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `memory.clear needs {"confirm": true}: ${formatIssues(parsed.error)}`);
        return h.clear();
      },
    },
    'router.reload': { scope: 'operator.admin', handler: () => h.reload() },
  };
}
