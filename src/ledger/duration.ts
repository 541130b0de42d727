/**
 * A budget window as LiteLLM writes it (`budget_duration`: `30s`, `30m`, `30h`, `30d`, `2w`,
 * `1mo`): the end of a window that starts at `from` (epoch ms). Months are calendar months (UTC),
 * as LiteLLM's `duration_in_seconds`. Throws RangeError for anything else.
 */
export function windowEnd(duration: string, from: number): number {
  const m = /^(\d+)(s|m|h|d|w|mo)$/.exec(duration.trim());
  if (!m || Number(m[1]) === 0) throw new RangeError(`budget_duration: expected a number and s, m, h, d, w or mo (e.g. "30d", "1mo"), got "${duration}"`);
  const n = Number(m[1]);
  const unit = m[2]!;
  if (unit === 'mo') {
    const d = new Date(from);
    d.setUTCMonth(d.getUTCMonth() + n);
    return d.getTime();
  }
  const seconds = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[unit as 's' | 'm' | 'h' | 'd' | 'w'];
  return from + n * seconds * 1000;
}

/** Whether `duration` is a budget window windowEnd accepts. */
export function isDuration(duration: string): boolean {
  try {
    windowEnd(duration, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The start of a usage window (epoch ms) from what a user types after `--since`: a duration back
 * from `now` (`30m`, `24h`, `7d`, `2w`, `1mo`), `today` or `month` (UTC), or a date (`2026-12-01`,
 * ISO 8601). Throws RangeError naming the accepted forms.
 */
export function windowStart(since: string, now: number): number {
  const s = since.trim();
  if (s === 'today') return Math.floor(now / 86_400_000) * 86_400_000;
  if (s === 'month') {
    const d = new Date(now);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const m = /^(\d+)(s|m|h|d|w|mo)$/.exec(s);
  if (m) {
    if (m[2] === 'mo') {
      const d = new Date(now);
      d.setUTCMonth(d.getUTCMonth() - Number(m[1]));
      return d.getTime();
    }
    return now - (windowEnd(s, now) - now);
  }
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (Number.isFinite(ms)) return ms;
  throw new RangeError(`since: expected a duration (30m, 24h, 7d, 1mo), today, month, or a date (2026-12-01), got "${since}"`);
}
