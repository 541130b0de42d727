import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDuration, type KeyRecord, type KeySpec, type Ledger, type UsageRow } from '../ledger/index.js';
import { ProxyError, readBody, sendJson } from './reply.js';

/** Paths of the key admin API (LiteLLM's names). */
export const ADMIN_PATHS = new Set(['/key/generate', '/key/info', '/key/delete', '/key/list', '/spend/logs']);

/** The caller of an admin request: the master key, or a virtual key asking about itself. */
export type AdminCaller = { kind: 'master' } | { kind: 'key'; record: KeyRecord } | { kind: 'none' };

/**
 * The virtual-key admin API (issue 14), LiteLLM-compatible ("Virtual Keys" and "Spend Tracking"
 * docs): `POST /key/generate`, `GET /key/info`, `POST /key/delete`, `GET /key/list`,
 * `GET /spend/logs`, same field names and semantics. Guarded by the master key (`proxy.masterKey`,
 * default the gateway token); a virtual key may read its own `/key/info` and `/spend/logs`. Errors
 * are OpenAI-shaped, as LiteLLM's. Throws ProxyError (the caller answers it).
 */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, ledger: Ledger, caller: AdminCaller): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams;
  const master = caller.kind === 'master';
  if (caller.kind === 'none') throw new ProxyError(401, 'the master key is required: Authorization: Bearer <proxy.masterKey or the gateway token>');
  switch (path) {
    case '/key/generate': {
      requireMaster(master, path);
      requireMethod(req, 'POST', path);
      const body = await jsonBody(req);
      const spec = keySpec(body);
      let created: Awaited<ReturnType<Ledger['keys']['create']>>;
      try {
        created = await ledger.keys.create(spec);
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        throw new ProxyError(400, err.message);
      }
      sendJson(res, 200, { key: created.key, ...keyView(created.record) });
      return;
    }
    case '/key/info': {
      requireMethod(req, 'GET', path);
      const wanted = q.get('key');
      const record = wanted ? await ledger.keys.lookup(wanted) : caller.kind === 'key' ? await ledger.keys.lookup(caller.record.hash) : null;
      if (!wanted && caller.kind === 'master') throw new ProxyError(400, 'key: required (?key=<key, its token hash or its alias>)');
      if (!record) throw new ProxyError(404, `no such key: ${wanted}`);
      if (!master && caller.kind === 'key' && record.hash !== caller.record.hash) throw new ProxyError(403, 'a virtual key may read only its own /key/info');
      sendJson(res, 200, { key: record.hash, info: keyView(record) });
      return;
    }
    case '/key/delete': {
      requireMaster(master, path);
      requireMethod(req, 'POST', path);
      const body = await jsonBody(req);
      const keys = stringList(body.keys, 'keys');
      const aliases = stringList(body.key_aliases, 'key_aliases');
      if (keys.length + aliases.length === 0) throw new ProxyError(400, 'keys or key_aliases: required (a list)');
      const deleted: string[] = [];
      for (const k of [...keys, ...aliases]) {
        const record = await ledger.keys.lookup(k);
        if (!record) throw new ProxyError(404, `no such key: ${k}`);
        await ledger.keys.revoke(record.hash);
        deleted.push(k);
      }
      sendJson(res, 200, { deleted_keys: deleted });
      return;
    }
    case '/key/list': {
      requireMaster(master, path);
      requireMethod(req, 'GET', path);
      const all = (await ledger.keys.list()).filter((k) => k.revokedAt === null || q.get('include_revoked') === 'true');
      const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
      const size = Math.min(100, Math.max(1, Number(q.get('size') ?? 10) || 10));
      const slice = all.slice((page - 1) * size, page * size);
      sendJson(res, 200, {
        keys: q.get('return_full_object') === 'true' ? slice.map(keyView) : slice.map((k) => k.hash),
        total_count: all.length,
        current_page: page,
        total_pages: Math.max(1, Math.ceil(all.length / size)),
      });
      return;
    }
    case '/spend/logs': {
      requireMethod(req, 'GET', path);
      const asked = q.get('api_key');
      const record = asked ? await ledger.keys.lookup(asked) : caller.kind === 'key' ? caller.record : null;
      if (asked && !record) throw new ProxyError(404, `no such key: ${asked}`);
      if (!master && record?.hash !== (caller.kind === 'key' ? caller.record.hash : undefined)) {
        throw new ProxyError(403, 'a virtual key may read only its own /spend/logs');
      }
      const since = dateParam(q.get('start_date'), 'start_date');
      const until = dateParam(q.get('end_date'), 'end_date', true);
      const rows = await ledger.store.rows({
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(record ? { keyHash: record.hash } : {}),
        limit: Math.min(10_000, Math.max(1, Number(q.get('limit') ?? 1000) || 1000)),
      });
      sendJson(res, 200, rows.map(spendLog));
      return;
    }
    default:
      throw new ProxyError(404, `no such endpoint: ${path}`);
  }
}

/** A key as LiteLLM's key objects name its fields (never the key itself: `token` is its hash). */
export function keyView(k: KeyRecord): Record<string, unknown> {
  return {
    token: k.hash,
    key_name: k.preview,
    key_alias: k.alias,
    spend: round(k.spend),
    total_spend: round(k.totalSpend),
    max_budget: k.maxBudget,
    budget_duration: k.budgetDuration,
    budget_reset_at: k.budgetResetAt === null ? null : new Date(k.budgetResetAt).toISOString(),
    models: k.models,
    rpm_limit: k.rpmLimit,
    tpm_limit: k.tpmLimit,
    metadata: k.metadata,
    created_at: new Date(k.createdAt).toISOString(),
    expires: null,
    blocked: k.revokedAt !== null,
    revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  };
}

/** A ledger row as a LiteLLM spend log. */
function spendLog(r: UsageRow): Record<string, unknown> {
  const prompt = r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens;
  return {
    request_id: r.id,
    call_type: r.endpoint === '/v1/messages' ? 'anthropic_messages' : r.endpoint === '/v1/responses' ? 'aresponses' : 'acompletion',
    api_key: r.keyHash ?? '',
    key_alias: r.keyName,
    spend: r.costUsd,
    total_tokens: prompt + r.outputTokens,
    prompt_tokens: prompt,
    completion_tokens: r.outputTokens,
    cache_read_input_tokens: r.cacheReadTokens,
    cache_creation_input_tokens: r.cacheWriteTokens,
    startTime: new Date(r.ts).toISOString(),
    endTime: new Date(r.ts + r.latencyMs).toISOString(),
    model: r.model ?? r.requestedModel,
    model_group: r.requestedModel,
    custom_llm_provider: r.provider,
    status: r.status < 400 ? 'success' : 'failure',
    session_id: r.session,
    metadata: {
      tier: r.tier,
      intent: r.intent,
      decision_id: r.decisionId,
      source: r.source,
      attempts: r.attempts,
      ttfb_ms: r.ttfbMs,
      latency_ms: r.latencyMs,
      usage_reported: r.usageReported,
    },
  };
}

function requireMaster(master: boolean, path: string): void {
  if (!master) throw new ProxyError(403, `${path} needs the master key`);
}

function requireMethod(req: IncomingMessage, method: string, path: string): void {
  if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) throw new ProxyError(405, `use ${method} ${path}`);
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, 1024 * 1024);
  try {
    const v: unknown = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ProxyError(400, `invalid JSON body: ${(err as Error).message}`);
  }
}

/** LiteLLM `/key/generate` fields → KeySpec; 400 for a field of the wrong type or one this gateway does not support. */
function keySpec(b: Record<string, unknown>): KeySpec {
  const known = new Set(['key_alias', 'max_budget', 'budget_duration', 'models', 'rpm_limit', 'tpm_limit', 'metadata']);
  const unknown = Object.keys(b).filter((k) => !known.has(k) && b[k] !== null && b[k] !== undefined);
  if (unknown.length > 0) throw new ProxyError(400, `unsupported field(s): ${unknown.join(', ')} (supported: ${[...known].join(', ')})`);
  const num = (name: string): number | null => {
    const v = b[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ProxyError(400, `${name}: expected a number ≥ 0`);
    return v;
  };
  const duration = b.budget_duration;
  if (duration !== undefined && duration !== null && (typeof duration !== 'string' || !isDuration(duration))) {
    throw new ProxyError(400, 'budget_duration: expected a number and s, m, h, d, w or mo (e.g. "30d", "1mo")');
  }
  if (b.key_alias !== undefined && b.key_alias !== null && typeof b.key_alias !== 'string') throw new ProxyError(400, 'key_alias: expected a string');
  if (b.metadata !== undefined && b.metadata !== null && (typeof b.metadata !== 'object' || Array.isArray(b.metadata))) {
    throw new ProxyError(400, 'metadata: expected an object');
  }
  return {
    alias: (b.key_alias as string | undefined) ?? null,
    maxBudget: num('max_budget'),
    budgetDuration: (duration as string | undefined) ?? null,
    models: stringList(b.models, 'models'),
    rpmLimit: num('rpm_limit'),
    tpmLimit: num('tpm_limit'),
    metadata: (b.metadata as Record<string, unknown> | undefined) ?? {},
  };
}

function stringList(v: unknown, name: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ProxyError(400, `${name}: expected a list of strings`);
  return v as string[];
}

/** A `YYYY-MM-DD` or ISO date parameter as epoch ms (`end`: a bare date means the end of that day). */
function dateParam(v: string | null, name: string, end = false): number | undefined {
  if (v === null || v === '') return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(ms)) throw new ProxyError(400, `${name}: expected a date (YYYY-MM-DD or ISO 8601)`);
  return end && /^\d{4}-\d{2}-\d{2}$/.test(v) ? ms + 86_400_000 : ms;
}

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;
