// Sampling and summary statistics shared by every bench section.
//
// Figures are medians of repeated samples; "±%" is a robust spread: 1.4826 × MAD / median
// (the median absolute deviation scaled to match one standard deviation for normal noise), so
// one sample slowed by a concurrent test run moves neither the figure nor the spread much.

/** Median of a non-empty array of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Robust spread in percent of the median (see file comment). */
export function spreadPct(values) {
  const m = median(values);
  if (m === 0) return 0;
  const mad = median(values.map((v) => Math.abs(v - m)));
  return (100 * 1.4826 * mad) / Math.abs(m);
}

/** { median, spreadPct, min, max, samples } of `values`. */
export function summarize(values) {
  return {
    median: median(values),
    spreadPct: spreadPct(values),
    min: Math.min(...values),
    max: Math.max(...values),
    samples: values.length,
  };
}

/**
 * Interleaved sampling of several variants that each process `work` items per call (rows
 * scanned, messages sent): round r runs variant 1, 2, …, n once each, so background noise falls on
 * every variant alike and ratios of medians stay fair. Each variant is first calibrated to the
 * number of calls that take at least `minSampleMs` (one call for slow ones).
 * A variant is `{ name, work, run }`; `run()` may return a promise (then it is awaited per call).
 * Returns Map name → summary of items/s.
 */
export async function sampleInterleaved(variants, { rounds, minSampleMs }) {
  const plans = [];
  for (const v of variants) {
    // A timed warm-up call (JIT, page-in); a slow variant needs no further calibration.
    let calls = 1;
    let ms = await timeCalls(v, 1);
    while (ms < minSampleMs && calls < 1 << 22) {
      calls = Math.min(1 << 22, Math.max(calls * 2, Math.ceil((calls * minSampleMs * 1.1) / Math.max(ms, 0.001))));
      ms = await timeCalls(v, calls);
    }
    plans.push({ v, calls, rates: [] });
  }
  for (let r = 0; r < rounds; r++) {
    for (const p of plans) {
      const ms = await timeCalls(p.v, p.calls);
      p.rates.push((p.v.work * p.calls * 1000) / ms);
    }
  }
  return new Map(plans.map((p) => [p.v.name, { ...summarize(p.rates), callsPerSample: p.calls }]));
}

async function timeCalls(v, calls) {
  const t0 = performance.now();
  if (v.async) for (let i = 0; i < calls; i++) await v.run();
  else for (let i = 0; i < calls; i++) v.run();
  return performance.now() - t0;
}

/** Milliseconds from a perf_hooks histogram value recorded in nanoseconds. */
export function nsToMs(ns) {
  return ns / 1e6;
}

/** p50/p99/p99.9/mean/max in ms of a RecordableHistogram that holds nanoseconds. */
export function histogramMs(h) {
  return {
    count: h.count,
    p50: nsToMs(h.percentile(50)),
    p99: nsToMs(h.percentile(99)),
    p999: nsToMs(h.percentile(99.9)),
    mean: nsToMs(h.mean),
    max: nsToMs(h.max),
  };
}
