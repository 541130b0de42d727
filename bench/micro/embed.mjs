// Micro-benchmark of LocalEmbedder.embedSync: median CPU µs per call (process.cpuUsage, so other
// load on the machine counts less than with wall time) over several interleaved rounds,
// for the current build and, with BASE=<dir of another dist>, that build in the same process.
// Usage: [BASE=/abs/path/to/other/dist] node bench/micro/embed.mjs  (ROUNDS=9 by default)
import { pathToFileURL } from 'node:url';
import { generateMessages } from '../lib/texts.mjs';

const variants = [['current', '../../dist/embedding/local.js']];
if (process.env.BASE) variants.unshift(['base', `${process.env.BASE}/embedding/local.js`]);
const embedders = [];
for (const [name, file] of variants) {
  const { LocalEmbedder } = await import(file.startsWith('/') ? pathToFileURL(file).href : new URL(file, import.meta.url).href);
  embedders.push([name, new LocalEmbedder(1024)]);
}
const all = generateMessages(4000, 7);
const groups = {
  'en 40-80 chars': all.filter((t) => t.length >= 40 && t.length <= 80 && !/[\u4e00-\u9fff]/.test(t)),
  'zh 40-80 chars': all.filter((t) => t.length >= 20 && t.length <= 80 && /[\u4e00-\u9fff]/.test(t)),
  'bench mix': all,
};
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
let sink = 0;
const rows = [];
for (const [group, texts] of Object.entries(groups)) {
  const per = Object.fromEntries(embedders.map(([n]) => [n, []]));
  const iters = Math.max(20000, texts.length * 5);
  for (const [, e] of embedders) for (let i = 0; i < 5000; i++) sink += e.embedSync(texts[i % texts.length])[0];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, e] of embedders) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < iters; i++) sink += e.embedSync(texts[i % texts.length])[1];
      const c = process.cpuUsage(c0);
      per[name].push((c.user + c.system) / iters);
    }
  }
  const row = { group, texts: texts.length, 'avg chars': Math.round(texts.reduce((a, t) => a + t.length, 0) / texts.length) };
  for (const [name] of embedders) row[`${name} µs`] = median(per[name]).toFixed(2);
  rows.push(row);
}
console.table(rows);
if (Number.isNaN(sink)) console.log(sink);
