// Number formatting for the printed tables (the JSON keeps raw numbers).

/** 12345678 → "12.35 M". */
export function si(n, digits = 3) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toPrecision(digits)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toPrecision(digits)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toPrecision(digits)} k`;
  return n.toPrecision(digits);
}

/** 0.1234 → "±12.3%". */
export function pct(spread) {
  return spread === null || spread === undefined ? '—' : `±${spread.toFixed(1)}%`;
}

/** A ratio as "8.41×". */
export function times(r) {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—';
  return `${r >= 100 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

/** Milliseconds with a precision that suits sub-ms latencies. */
export function ms(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return v < 10 ? `${v.toFixed(3)} ms` : `${v.toFixed(1)} ms`;
}

/** Bytes as MiB. */
export function mib(bytes) {
  return bytes === null || bytes === undefined ? '—' : `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** Prints a section title and a console.table of rows (objects with string cells). */
export function printTable(title, rows) {
  console.log(`\n${title}`);
  console.table(rows);
}
