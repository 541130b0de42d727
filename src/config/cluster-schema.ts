import { z } from 'zod';

/** A `postgres://` / `postgresql://` or `redis://` / `rediss://` URL. */
function urlOf(schemes: readonly string[]) {
  return z
    .string()
    .min(1)
    .refine((s) => schemes.some((p) => s.startsWith(`${p}://`)), { message: `expected a ${schemes.map((p) => `${p}://`).join(' or ')} URL` });
}

/**
 * `cluster` (issue 20): several instances share learning, spend and cooldowns. With neither URL
 * set, nothing changes: the embedded SQLite ledger and the local journal stay the default.
 * Topology and failure modes: docs/operations.md "Running a team gateway".
 */
export const ClusterSchema = z
  .object({
    /** This instance's name in the cluster view (default `<hostname>:<port>`). */
    instance: z.string().min(1).max(120).optional(),
    postgres: z
      .object({
        /** PostgreSQL 15+: usage ledger, virtual keys, budgets and learned corrections. */
        url: urlOf(['postgres', 'postgresql']),
        /** Pool size per instance. */
        poolSize: z.number().int().min(2).max(100).default(8),
        /** A statement that takes longer fails (ms), so a stuck database degrades instead of hanging. */
        statementTimeoutMs: z.number().int().min(100).default(5000),
      })
      .strict()
      .optional(),
    redis: z
      .object({
        /** Redis 6+: rate limits, provider cooldowns and breaker state, sticky sessions. */
        url: urlOf(['redis', 'rediss']),
        /** Key prefix, so several clusters can share one Redis. */
        prefix: z.string().min(1).max(64).default('srd:'),
      })
      .strict()
      .optional(),
    /**
     * PostgreSQL down: `fail` refuses learning and budgeted requests with a clear error (routing goes
     * on); `local-queue` acknowledges them from a durable local queue (`<stateDir>/cluster-queue.db`)
     * and replays it when the database is back.
     */
    onStoreDown: z.enum(['fail', 'local-queue']).default('fail'),
    /** Other instances' corrections are also polled this often (ms), besides LISTEN/NOTIFY. */
    pollMs: z.number().int().min(50).max(60_000).default(1000),
    /** Heartbeat period (ms); an instance not seen for 3 periods leaves the cluster view. */
    heartbeatMs: z.number().int().min(200).max(60_000).default(2000),
  })
  .strict();

export type ClusterConfig = z.infer<typeof ClusterSchema>;
