import { z } from 'zod';

/**
 * `ledger` (issue 14): the usage ledger of proxied requests, in an embedded SQLite database in the
 * state dir unless disabled.
 */
export const LedgerSchema = z
  .object({
    /** Record every proxied request (tokens, cost, latency); off: no ledger, no budgets, no usage. */
    enabled: z.boolean().default(true),
    /** Database file; default `<stateDir>/usage.db`. */
    file: z.string().min(1).optional(),
    /** Rows older than this are deleted (at start and hourly), days; 0 keeps them forever. */
    retentionDays: z.number().min(0).default(90),
  })
  .strict();
