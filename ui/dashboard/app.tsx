import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, clock, count, loginFromFragment, usd } from './api.js';
import { Chart } from './chart.js';

/**
 * smart-routerd's dashboard (issue 21): one view per job — Live, Spend, Providers, Learning,
 * Settings — over the daemon's /dashboard/api (src/dashboard/server.ts). Built by
 * scripts/build-ui.mjs into dist/ui/; no CDN, no third-party request.
 */

const VIEWS = ['Live', 'Spend', 'Providers', 'Learning', 'Settings'] as const;
type View = (typeof VIEWS)[number];

/** A weight to 2 decimals (chart axis). */
const fixed2 = (v: number) => v.toFixed(2);

/** Colours of per-model lines, in turn. */
const MODEL_COLOURS = ['#2f7ed8', '#d9534f', '#3c9d5d', '#e69f00', '#8e6bbf', '#56b4e9', '#cc79a7', '#7f7f7f'];

/** Series colours (fixed, readable on light and dark backgrounds). */
const COLOURS = { routed: '#2f7ed8', flagship: '#d9534f', lightweight: '#3c9d5d', counterfactual: '#8e6bbf' };

function App() {
  const [state, setState] = useState<'loading' | 'in' | 'out'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<View>('Live');
  useEffect(() => {
    (async () => {
      try {
        await loginFromFragment();
        await api('/dashboard/api/status');
        setState('in');
      } catch (err) {
        setError((err as Error).message);
        setState('out');
      }
    })();
  }, []);
  if (state === 'loading') return <p class="empty">Loading…</p>;
  if (state === 'out')
    return (
      <main class="login">
        <h1>smart-routerd</h1>
        <p role="alert">{error}</p>
        <p>
          Open this page with <code>smart-routerd dashboard</code>: it logs you in with a one-time link.
        </p>
      </main>
    );
  return (
    <>
      <header>
        <h1>smart-routerd</h1>
        <nav role="tablist" aria-label="Views">
          {VIEWS.map((v) => (
            <button
              type="button"
              role="tab"
              id={`tab-${v}`}
              aria-selected={view === v}
              aria-controls="view"
              tabIndex={view === v ? 0 : -1}
              onClick={() => setView(v)}
              onKeyDown={(e) => {
                const i = VIEWS.indexOf(v);
                const next = e.key === 'ArrowRight' ? VIEWS[(i + 1) % VIEWS.length] : e.key === 'ArrowLeft' ? VIEWS[(i + VIEWS.length - 1) % VIEWS.length] : null;
                if (next) {
                  setView(next);
                  document.getElementById(`tab-${next}`)?.focus();
                }
              }}
            >
              {v}
            </button>
          ))}
        </nav>
      </header>
      <main id="view" role="tabpanel" aria-labelledby={`tab-${view}`}>
        {view === 'Live' && <Live />}
        {view === 'Spend' && <Spend />}
        {view === 'Providers' && <Providers />}
        {view === 'Learning' && <Learning />}
        {view === 'Settings' && <Settings />}
      </main>
    </>
  );
}

/** A decision of the `router.decision` stream, with the usage of its proxied request once known. */
interface Row {
  decisionId: string | null;
  ts: number;
  tier: string | null;
  model: string | null;
  intent: string | null;
  source: string;
  confidence: number | null;
  latencyMs: number | null;
  via: string;
  tokens: number | null;
  costUsd: number | null;
}

function Live() {
  const [rows, setRows] = useState<Row[]>([]);
  const [tier, setTier] = useState('all');
  const [source, setSource] = useState('all');
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const es = new EventSource('/dashboard/api/live');
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    es.addEventListener('decision', (m) => {
      const d = JSON.parse((m as MessageEvent<string>).data) as Omit<Row, 'tokens' | 'costUsd'>;
      setRows((r) => [{ ...d, tokens: null, costUsd: null }, ...r].slice(0, 500));
    });
    es.addEventListener('usage', (m) => {
      const u = JSON.parse((m as MessageEvent<string>).data) as {
        ts: number;
        decisionId: string | null;
        model: string | null;
        requestModel: string;
        tier: string | null;
        usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; costUsd: number } | null;
      };
      const tokens = u.usage ? u.usage.inputTokens + u.usage.outputTokens + u.usage.cacheReadTokens + u.usage.cacheWriteTokens : null;
      setRows((r) => {
        const i = u.decisionId ? r.findIndex((x) => x.decisionId === u.decisionId) : -1;
        if (i === -1) {
          const own: Row = { decisionId: null, ts: u.ts, tier: u.tier, model: u.model ?? u.requestModel, intent: null, source: 'explicit', confidence: null, latencyMs: null, via: 'proxy', tokens, costUsd: u.usage?.costUsd ?? null };
          return [own, ...r].slice(0, 500);
        }
        const next = [...r];
        next[i] = { ...next[i]!, model: u.model ?? next[i]!.model, tokens, costUsd: u.usage?.costUsd ?? null };
        return next;
      });
    });
    return () => es.close();
  }, []);
  const sources = useMemo(() => ['all', ...new Set(rows.map((r) => r.source))], [rows]);
  const shown = rows.filter((r) => (tier === 'all' || r.tier === tier) && (source === 'all' || r.source === source));
  return (
    <section aria-labelledby="live-h">
      <h2 id="live-h">Live decisions</h2>
      <p class="hint" aria-live="polite">
        {connected ? 'Following every decision, from every client, as it happens.' : 'Connecting to the decision stream…'}
      </p>
      <div class="filters">
        <label>
          Tier{' '}
          <select value={tier} onChange={(e) => setTier((e.target as HTMLSelectElement).value)}>
            <option value="all">all</option>
            <option value="flagship">flagship</option>
            <option value="lightweight">lightweight</option>
          </select>
        </label>
        <label>
          Source{' '}
          <select value={source} onChange={(e) => setSource((e.target as HTMLSelectElement).value)}>
            {sources.map((s) => (
              <option value={s} key={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {shown.length === 0 ? (
        <p class="empty">No decisions yet. Route a message (<code>smart-routerd route hello</code>) or send one through OpenClaw.</p>
      ) : (
        <div class="scroll">
          <table class="live">
            <thead>
              <tr>
                <th scope="col">time</th>
                <th scope="col">tier</th>
                <th scope="col">model</th>
                <th scope="col">intent</th>
                <th scope="col">source</th>
                <th scope="col">confidence</th>
                <th scope="col">latency</th>
                <th scope="col">tokens</th>
                <th scope="col">cost</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r, i) => (
                <tr key={r.decisionId ?? `${r.ts}-${i}`} data-decision-id={r.decisionId ?? ''}>
                  <td>{clock(r.ts)}</td>
                  <td>
                    <span class={`tier ${r.tier ?? ''}`}>{r.tier ?? '—'}</span>
                  </td>
                  <td>{r.model ?? '—'}</td>
                  <td>{r.intent ?? '—'}</td>
                  <td>{r.source}</td>
                  <td>{r.confidence === null ? '—' : r.confidence.toFixed(2)}</td>
                  <td>{r.latencyMs === null ? '—' : `${r.latencyMs} ms`}</td>
                  <td>{r.tokens === null ? '—' : count(r.tokens)}</td>
                  <td>{r.costUsd === null ? '—' : usd(r.costUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

interface Totals {
  group: string | null;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}
interface Report {
  groups: Totals[];
  total: Totals;
  flagship: { model: string; costUsd: number | null };
  savedUsd: number | null;
  savedPct: number | null;
}
interface SpendView {
  range: string;
  since: string;
  bucketMs: number;
  byModel: Report;
  byTier: Report;
  timeline: Array<{ t: number; group: string | null; requests: number; costUsd: number; flagshipCostUsd: number | null }>;
  modelTimeline: Array<{ t: number; group: string | null; requests: number; costUsd: number; flagshipCostUsd: number | null }>;
  keys: Array<{ name: string; spend: number; maxBudget: number | null; budgetDuration: string | null; resetAt: string | null; models: string[] }>;
}

function useLoad<T>(path: string, deps: unknown[] = []): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads on the caller's deps and on reload()
  useEffect(() => {
    api<T>(path)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
  }, [path, n, ...deps]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

function Spend() {
  const [range, setRange] = useState<'24h' | '7d' | '30d'>('24h');
  const [split, setSplit] = useState<'tier' | 'model'>('tier');
  const { data, error } = useLoad<SpendView>(`/dashboard/api/spend?range=${range}`);
  const chart = useMemo(() => {
    if (!data) return null;
    // Every bucket of the range, empty ones at 0, so the lines read as time.
    const first = Math.floor(Date.parse(data.since) / data.bucketMs) * data.bucketMs;
    const buckets: number[] = [];
    for (let t = first; t <= Date.now(); t += data.bucketMs) buckets.push(t);
    const at = (t: number, pick: (p: SpendView['timeline'][number]) => number | null, tier?: string) =>
      data.timeline.filter((p) => p.t === t && (tier === undefined || p.group === tier)).reduce<number | null>((s, p) => {
        const v = pick(p);
        return v === null ? s : (s ?? 0) + v;
      }, 0);
    return {
      x: buckets.map((t) => t / 1000),
      lines: [
        { label: 'routed cost', stroke: COLOURS.routed, values: buckets.map((t) => at(t, (p) => p.costUsd)) },
        { label: 'all to the flagship', stroke: COLOURS.counterfactual, dash: [6, 4], values: buckets.map((t) => at(t, (p) => p.flagshipCostUsd)) },
        ...(split === 'tier'
          ? [
              { label: 'flagship tier', stroke: COLOURS.flagship, values: buckets.map((t) => at(t, (p) => p.costUsd, 'flagship')) },
              { label: 'lightweight tier', stroke: COLOURS.lightweight, values: buckets.map((t) => at(t, (p) => p.costUsd, 'lightweight')) },
            ]
          : [...new Set(data.modelTimeline.map((p) => p.group ?? '(none)'))].map((model, i) => ({
              label: model,
              stroke: MODEL_COLOURS[i % MODEL_COLOURS.length]!,
              values: buckets.map((t) => data.modelTimeline.filter((p) => p.t === t && (p.group ?? '(none)') === model).reduce((s, p) => s + p.costUsd, 0)),
            }))),
      ],
    };
  }, [data, split]);
  return (
    <section aria-labelledby="spend-h">
      <h2 id="spend-h">Spend</h2>
      <div class="filters" role="group" aria-label="Range">
        {(['24h', '7d', '30d'] as const).map((r) => (
          <button type="button" key={r} aria-pressed={range === r} onClick={() => setRange(r)}>
            {r}
          </button>
        ))}
      </div>
      <div class="filters" role="group" aria-label="Split the cost by">
        {(['tier', 'model'] as const).map((v) => (
          <button type="button" key={v} aria-pressed={split === v} onClick={() => setSplit(v)}>
            by {v}
          </button>
        ))}
      </div>
      {error && <p role="alert">{error}</p>}
      {data && (
        <>
          <div class="cards">
            <Card label="cost" value={usd(data.byModel.total.costUsd)} />
            <Card label={`all to ${data.byModel.flagship.model}`} value={usd(data.byModel.flagship.costUsd)} />
            <Card
              label="saved by routing"
              value={data.byModel.savedUsd === null ? '—' : `${usd(data.byModel.savedUsd)}${data.byModel.savedPct === null ? '' : ` (${data.byModel.savedPct.toFixed(1)}%)`}`}
            />
            <Card label="requests" value={count(data.byModel.total.requests)} />
          </div>
          {chart && chart.x.length > 0 ? (
            <Chart
              x={chart.x}
              lines={chart.lines}
              time
              yLabel={`USD per ${data.bucketMs >= 86_400_000 ? 'day' : 'hour'}`}
              format={usd}
              label="Cost over time, routed and all-flagship"
            />
          ) : (
            <p class="empty">No proxied requests in this range yet.</p>
          )}
          <h3>By model</h3>
          <TotalsTable report={data.byModel} column="model" />
          <h3>By tier</h3>
          <TotalsTable report={data.byTier} column="tier" />
          <h3>Key budgets</h3>
          {data.keys.length === 0 ? (
            <p class="empty">
              No virtual keys. <code>smart-routerd keys create --max-budget 20 --budget-duration 1mo</code>
            </p>
          ) : (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">key</th>
                    <th scope="col">spent</th>
                    <th scope="col">budget</th>
                    <th scope="col">resets</th>
                    <th scope="col">models</th>
                  </tr>
                </thead>
                <tbody>
                  {data.keys.map((k) => (
                    <tr key={k.name}>
                      <td>{k.name}</td>
                      <td>{usd(k.spend)}</td>
                      <td>{k.maxBudget === null ? 'none' : `${usd(k.maxBudget)}${k.budgetDuration ? ` per ${k.budgetDuration}` : ''}`}</td>
                      <td>{k.resetAt ?? 'never'}</td>
                      <td>{k.models.length > 0 ? k.models.join(', ') : 'all'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Card(props: { label: string; value: string }) {
  return (
    <div class="card">
      <div class="card-label">{props.label}</div>
      <div class="card-value">{props.value}</div>
    </div>
  );
}

function TotalsTable(props: { report: Report; column: string }) {
  const rows = [...props.report.groups, { ...props.report.total, group: 'total' }];
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">{props.column}</th>
            <th scope="col">requests</th>
            <th scope="col">errors</th>
            <th scope="col">input</th>
            <th scope="col">output</th>
            <th scope="col">cache read</th>
            <th scope="col">cache write</th>
            <th scope="col">cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((g) => (
            <tr key={g.group ?? '(none)'} class={g.group === 'total' ? 'total' : ''}>
              <td>{g.group ?? (props.column === 'model' ? '(none answered)' : '(model named, not routed)')}</td>
              <td>{count(g.requests)}</td>
              <td>{count(g.errors)}</td>
              <td>{count(g.inputTokens)}</td>
              <td>{count(g.outputTokens)}</td>
              <td>{count(g.cacheReadTokens)}</td>
              <td>{count(g.cacheWriteTokens)}</td>
              <td>{usd(g.costUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Upstream {
  key: string;
  state: 'ready' | 'cooling';
  until: string | null;
  class: string;
  reason: string;
  failuresInWindow: number;
}

function Providers() {
  const { data, error, reload } = useLoad<{ upstreams: Upstream[] }>('/dashboard/api/providers');
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
      reload();
    }, 5000);
    return () => clearInterval(t);
  }, []);
  const byClass = useMemo(() => {
    const m = new Map<string, number>();
    for (const u of data?.upstreams ?? []) m.set(u.class, (m.get(u.class) ?? 0) + u.failuresInWindow);
    return [...m];
  }, [data]);
  return (
    <section aria-labelledby="prov-h">
      <h2 id="prov-h">Providers</h2>
      {error && <p role="alert">{error}</p>}
      {data && data.upstreams.length === 0 && <p class="empty">Every provider and model is ready: nothing failed recently.</p>}
      {data && data.upstreams.length > 0 && (
        <>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">auth profile · model</th>
                  <th scope="col">status</th>
                  <th scope="col">time left</th>
                  <th scope="col">class</th>
                  <th scope="col">reason</th>
                  <th scope="col">failures in window</th>
                </tr>
              </thead>
              <tbody>
                {data.upstreams.map((u) => {
                  const [profile, model] = u.key.split('|');
                  const left = u.until ? Math.max(0, Date.parse(u.until) - now) : 0;
                  return (
                    <tr key={u.key}>
                      <td>{model ? `${profile} · ${model}` : `${profile} (every model)`}</td>
                      <td>
                        <span class={`state ${u.state}`}>{u.state === 'cooling' ? 'cooling down' : 'ready'}</span>
                      </td>
                      <td>{u.state === 'cooling' ? `${Math.ceil(left / 1000)} s` : '—'}</td>
                      <td>{u.class}</td>
                      <td>{u.reason}</td>
                      <td>{u.failuresInWindow}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <h3>Recent failures by class</h3>
          <ul class="inline">
            {byClass.map(([c, n]) => (
              <li key={c}>
                {c}: {n}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

interface Patch {
  id: number;
  tier: string;
  label: string | null;
  origin: string;
  createdAt: string;
  ageDays: number;
  weight: number;
  textHash: string;
}
interface LearningView {
  stats: { patches: number; byTier: Record<string, number>; compactions: number; lastCompaction: { at?: number; before: number; after: number } | null };
  decay: { gamma: number; halfLifeDays: number; deathThreshold: number };
  patches: Patch[];
}

function Learning() {
  const { data, error, reload } = useLoad<LearningView>('/dashboard/api/learning');
  const [confirming, setConfirming] = useState<number | null>(null);
  const [status, setStatus] = useState<string>('');
  const curve = useMemo(() => {
    if (!data) return null;
    const { gamma, halfLifeDays } = data.decay;
    const days = Array.from({ length: 121 }, (_, i) => i * 3);
    return {
      x: days,
      lines: [
        { label: 'weight of a correction', stroke: COLOURS.routed, values: days.map((d) => gamma ** (d / halfLifeDays)) },
        { label: 'dropped below', stroke: COLOURS.flagship, dash: [4, 4], values: days.map(() => data.decay.deathThreshold) },
      ],
    };
  }, [data]);
  const ages = useMemo(() => {
    const buckets = [
      ['under a day', 1],
      ['1–7 days', 7],
      ['7–30 days', 30],
      ['30+ days', Number.POSITIVE_INFINITY],
    ] as const;
    const out = buckets.map(([label]) => ({ label, flagship: 0, lightweight: 0 }));
    for (const p of data?.patches ?? []) {
      const i = buckets.findIndex(([, max]) => p.ageDays < max);
      const b = out[i]!;
      if (p.tier === 'flagship') b.flagship++;
      else b.lightweight++;
    }
    return out;
  }, [data]);
  const forget = async (id: number) => {
    try {
      await api(`/dashboard/api/patches/${id}`, 'DELETE');
      setStatus(`Correction ${id} deleted.`);
      setConfirming(null);
      reload();
    } catch (err) {
      setStatus(`Could not delete correction ${id}: ${(err as Error).message}`);
    }
  };
  return (
    <section aria-labelledby="learn-h">
      <h2 id="learn-h">Learning</h2>
      {error && <p role="alert">{error}</p>}
      <p class="hint" role="status" aria-live="polite">
        {status}
      </p>
      {data && (
        <>
          <div class="cards">
            <Card label="corrections" value={count(data.stats.patches)} />
            <Card label="flagship" value={count(data.stats.byTier.flagship ?? 0)} />
            <Card label="lightweight" value={count(data.stats.byTier.lightweight ?? 0)} />
            <Card
              label="last compaction"
              value={data.stats.lastCompaction ? `${data.stats.lastCompaction.before} → ${data.stats.lastCompaction.after}` : `none (${data.stats.compactions})`}
            />
          </div>
          <h3>By age</h3>
          <table class="narrow">
            <thead>
              <tr>
                <th scope="col">age</th>
                <th scope="col">flagship</th>
                <th scope="col">lightweight</th>
              </tr>
            </thead>
            <tbody>
              {ages.map((a) => (
                <tr key={a.label}>
                  <td>{a.label}</td>
                  <td>{a.flagship}</td>
                  <td>{a.lightweight}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Decay</h3>
          {curve && <Chart x={curve.x} lines={curve.lines} time={false} yLabel="weight" height={200} format={fixed2} label="Weight of a correction by age in days" />}
          <p class="hint">
            weight = w₀ · {data.decay.gamma}^(days / {data.decay.halfLifeDays}); compaction drops corrections under {data.decay.deathThreshold}.
          </p>
          <h3>Corrections</h3>
          {data.patches.length === 0 ? (
            <p class="empty">Nothing learned yet. Correct a decision with a prefix (F:, L:) or `smart-routerd learn`.</p>
          ) : (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">id</th>
                    <th scope="col">tier</th>
                    <th scope="col">intent</th>
                    <th scope="col">from</th>
                    <th scope="col">learned</th>
                    <th scope="col">text (SHA-256; texts are not kept)</th>
                    <th scope="col">
                      <span class="sr-only">actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.patches.map((p) => (
                    <tr key={p.id} data-patch-id={p.id}>
                      <td>{p.id}</td>
                      <td>
                        <span class={`tier ${p.tier}`}>{p.tier}</span>
                      </td>
                      <td>{p.label ?? '—'}</td>
                      <td>{p.origin}</td>
                      <td>{p.createdAt.slice(0, 19).replace('T', ' ')}</td>
                      <td>
                        <code>{p.textHash.slice(0, 16)}…</code>
                      </td>
                      <td>
                        {confirming === p.id ? (
                          <span class="confirm">
                            <button type="button" class="danger" onClick={() => void forget(p.id)}>
                              Delete correction {p.id}
                            </button>
                            <button type="button" onClick={() => setConfirming(null)}>
                              Keep
                            </button>
                          </span>
                        ) : (
                          <button type="button" onClick={() => setConfirming(p.id)} aria-label={`Delete correction ${p.id}…`}>
                            Delete…
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Settings() {
  const { data, error } = useLoad<{ path: string; exists: boolean; rows: Array<{ path: string; value: unknown; source: string }> }>('/dashboard/api/settings');
  const [filter, setFilter] = useState('');
  const rows = (data?.rows ?? []).filter((r) => r.path.includes(filter));
  return (
    <section aria-labelledby="set-h">
      <h2 id="set-h">Settings</h2>
      {error && <p role="alert">{error}</p>}
      {data && (
        <>
          <p class="hint">
            In force now, secrets redacted. Config file: <code>{data.path}</code> {data.exists ? '' : '(none: built-in defaults)'}
          </p>
          <label class="filters">
            Filter <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} placeholder="gateway." />
          </label>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">setting</th>
                  <th scope="col">value</th>
                  <th scope="col">from</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.path}>
                    <td>
                      <code>{r.path}</code>
                    </td>
                    <td>
                      <code>{JSON.stringify(r.value)}</code>
                    </td>
                    <td>
                      <span class={`source ${r.source.split(' ')[0]}`}>{r.source}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

render(<App />, document.getElementById('app')!);
