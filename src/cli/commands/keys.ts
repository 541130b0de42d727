import type { Command } from 'commander';
import { loadConfig, readSecret } from '../../config/index.js';
import { SrdError } from '../../errors.js';
import { resolveTarget, type TargetFlags } from '../target.js';

/** Flags of the `keys` commands. */
interface KeysFlags extends TargetFlags {
  masterKey?: string;
  json?: boolean;
}

/** A key as the admin API returns it (LiteLLM field names; proxy/admin.ts keyView). */
interface KeyView {
  token: string;
  key_name: string;
  key_alias: string | null;
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  models: string[];
  rpm_limit: number | null;
  tpm_limit: number | null;
  blocked: boolean;
  created_at: string;
}

/**
 * `smart-routerd keys create|list|info|revoke` (issue 14): virtual keys through the daemon's
 * LiteLLM-compatible admin API (`/key/generate`, `/key/list`, `/key/info`, `/key/delete`), with
 * the master key (`--master-key`, SMART_ROUTERD_MASTER_KEY, `proxy.masterKey`, else the gateway
 * token). A new key is printed once; only its hash is stored.
 */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('virtual keys for the model API: budgets, rate limits, allowed models');
  const common = (c: Command) =>
    c
      .option('--master-key <key>', 'admin key (default: env SMART_ROUTERD_MASTER_KEY, proxy.masterKey, or the gateway token)')
      .option('--url <url>', 'daemon URL (default from config; env SMART_ROUTERD_URL)')
      .option('--json', 'print the admin API answer as JSON');
  common(
    keys
      .command('create')
      .description('create a key (printed once) with optional budget, window, models and rate limits')
      .option('--alias <name>', 'a name for the key (LiteLLM key_alias)')
      .option('--max-budget <usd>', 'USD the key may spend per budget window', parseNumber)
      .option('--budget-duration <window>', 'budget window: 30s, 30m, 30h, 30d, 2w, 1mo (LiteLLM budget_duration)')
      .option('--models <list>', 'comma-separated model refs or aliases the key may use (default: all)')
      .option('--rpm <n>', 'requests per minute', parseNumber)
      .option('--tpm <n>', 'tokens per minute', parseNumber),
  ).action(async (opts: KeysFlags & { alias?: string; maxBudget?: number; budgetDuration?: string; models?: string; rpm?: number; tpm?: number }, cmd) => {
    const body = {
      key_alias: opts.alias,
      max_budget: opts.maxBudget,
      budget_duration: opts.budgetDuration,
      models: opts.models
        ? opts.models
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean)
        : undefined,
      rpm_limit: opts.rpm,
      tpm_limit: opts.tpm,
    };
    const created = await admin<KeyView & { key: string }>(flagsOf(opts, cmd), 'POST', '/key/generate', body);
    if (opts.json) return print(created);
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(`smart-routerd: key ${created.key_alias ?? created.key_name} created; it is shown only now (smart-routerd stores its hash)\n`);
    process.stderr.write(`  ${describe(created)}\n`);
  });
  common(keys.command('list').description('list keys (never the keys themselves)').option('--all', 'include revoked keys')).action(
    async (opts: KeysFlags & { all?: boolean }, cmd) => {
      const list = await admin<{ keys: KeyView[] }>(
        flagsOf(opts, cmd),
        'GET',
        `/key/list?return_full_object=true&size=100${opts.all ? '&include_revoked=true' : ''}`,
      );
      if (opts.json) return print(list);
      if (list.keys.length === 0) process.stdout.write('no keys (create one with `smart-routerd keys create`)\n');
      for (const k of list.keys) process.stdout.write(`${k.key_alias ?? '(no alias)'}  ${k.key_name}  ${describe(k)}${k.blocked ? '  REVOKED' : ''}\n`);
    },
  );
  common(keys.command('info <key>').description('a key by the key itself, its hash, or its alias')).action(async (key: string, opts: KeysFlags, cmd) => {
    const info = await admin<{ key: string; info: KeyView }>(flagsOf(opts, cmd), 'GET', `/key/info?key=${encodeURIComponent(key)}`);
    if (opts.json) return print(info);
    const k = info.info;
    process.stdout.write(`${k.key_alias ?? '(no alias)'}  ${k.key_name}  hash ${k.token}\n  ${describe(k)}${k.blocked ? '\n  REVOKED' : ''}\n`);
  });
  common(keys.command('revoke <key>').description('revoke a key (by the key, its hash, or its alias); its ledger rows stay')).action(
    async (key: string, opts: KeysFlags, cmd) => {
      const done = await admin<{ deleted_keys: string[] }>(flagsOf(opts, cmd), 'POST', '/key/delete', { keys: [key] });
      if (opts.json) return print(done);
      process.stdout.write(`revoked ${key}\n`);
    },
  );
}

function flagsOf(opts: KeysFlags, cmd: Command): KeysFlags {
  return { ...(cmd.optsWithGlobals() as KeysFlags), ...opts };
}

/** Calls the daemon's admin API; throws SrdError with the daemon's message on an error answer. */
async function admin<T>(flags: KeysFlags, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const { url, token } = resolveTarget(flags);
  const { config } = loadConfig(flags);
  const master = flags.masterKey ?? process.env.SMART_ROUTERD_MASTER_KEY ?? readSecret(config.proxy.masterKey, process.env) ?? token;
  let res: Response;
  try {
    res = await fetch(`${url.replace(/^ws/, 'http')}${path}`, {
      method,
      headers: { authorization: `Bearer ${master}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new SrdError('SRD_ERR_GATEWAY_CONNECT', `cannot reach smart-routerd at ${url}: ${(err as Error).message} (is it running? \`smart-routerd start\`)`);
  }
  const answer = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `${path.split('?')[0]}: ${answer?.error?.message ?? `HTTP ${res.status}`}`);
  return answer as T;
}

function describe(k: KeyView): string {
  const parts = [
    k.max_budget === null
      ? 'no budget'
      : `$${k.spend.toFixed(4)} of $${k.max_budget}${k.budget_duration ? ` per ${k.budget_duration} (resets ${k.budget_reset_at})` : ''}`,
    k.models.length > 0 ? `models ${k.models.join(', ')}` : 'all models',
  ];
  if (k.rpm_limit !== null) parts.push(`${k.rpm_limit} rpm`);
  if (k.tpm_limit !== null) parts.push(`${k.tpm_limit} tpm`);
  return parts.join(' · ');
}

function parseNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new SrdError('SRD_ERR_GATEWAY_REQUEST', `expected a number ≥ 0, got "${v}"`);
  return n;
}

function print(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}
