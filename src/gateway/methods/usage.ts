import { z } from 'zod';
import { SrdError } from '../../errors.js';
import { formatIssues } from '../frames.js';
import type { MethodTable } from './types.js';

/** `usage.status` params: the window (`since`: a duration back from now such as `24h`, `7d`, `1mo`, or a date) and the grouping. */
export const UsageStatusParamsSchema = z
  .object({
    since: z.string().min(1).max(64).optional(),
    by: z.enum(['model', 'tier', 'intent', 'key']).optional(),
  })
  .strict();
export type UsageStatusParams = z.infer<typeof UsageStatusParamsSchema>;

/** What `usage.status` needs from the daemon. */
export interface UsageHandlers {
  /** The usage report (requests, tokens, cost, savings) of a window; throws SrdError for a bad window or without a ledger. */
  status: (params: UsageStatusParams) => unknown;
}

/**
 * `usage.status` (issue 14): the usage ledger's totals for a window, grouped, with what routing
 * saved against sending every request to the flagship model, as `smart-routerd usage` prints.
 */
export function usageMethods(h: UsageHandlers): MethodTable {
  return {
    'usage.status': {
      scope: 'operator.read',
      handler: (params) => {
        const parsed = UsageStatusParamsSchema.safeParse(params ?? {});
        if (!parsed.success) throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `invalid usage.status params: ${formatIssues(parsed.error)}`);
        return h.status(parsed.data);
      },
    },
  };
}
