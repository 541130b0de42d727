// Section 9 — the intent classifier (issue 16) on one core, in-process: µs per message of the
// classifier alone (feature hashing + averaged rows + softmax + calibration), of the local
// embedder it runs beside, and of a whole Router.route (embed → model stage; no user patches) as
// `latencyMs` reports it. Messages: bench/lib/texts.mjs (generated; shared/eval is never read).

import path from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from '../dist/config/index.js';
import { LocalEmbedder } from '../dist/embedding/index.js';
import { IntentClassifier, readClassifierFile } from '../dist/intent-model/index.js';
import { Router } from '../dist/routing/index.js';
import { printTable } from './lib/format.mjs';
import { generateMessages } from './lib/texts.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** p50/p99/mean in µs of `fn` over every message, after one warm-up pass. */
function timeEach(messages, fn) {
  for (const m of messages) fn(m);
  const h = createHistogram();
  let total = 0;
  for (const m of messages) {
    const t0 = process.hrtime.bigint();
    fn(m);
    const ns = Number(process.hrtime.bigint() - t0);
    total += ns;
    h.record(Math.max(1, ns));
  }
  return { p50: h.percentile(50) / 1e3, p99: h.percentile(99) / 1e3, mean: total / messages.length / 1e3 };
}

export async function runClassifier({ quick = false, log = () => undefined } = {}) {
  const file = await readClassifierFile(path.join(ROOT, 'data', 'intent-classifier.bin'));
  const classifier = new IntentClassifier(file.weights);
  const embedder = new LocalEmbedder();
  const messages = generateMessages(quick ? 2_000 : 20_000).map((m) => (typeof m === 'string' ? m : m.text));
  log(`[classifier] ${messages.length} messages, model ${file.header.buckets} × ${file.header.dim}`);
  const predict = timeEach(messages, (m) => classifier.predict(m));
  const embed = timeEach(messages, (m) => embedder.embedSync(m));
  const router = new Router({ config: ConfigSchema.parse({}), embedder, dna: null, classifier, scanDna: () => Promise.reject(new Error('unused')) });
  for (const m of messages) await router.route(m, { learn: false });
  const h = createHistogram();
  for (const m of messages) h.record(Math.max(1, Math.round((await router.route(m, { learn: false })).latencyMs * 1e6)));
  return { messages: messages.length, predict, embed, route: { p50: h.percentile(50) / 1e3, p99: h.percentile(99) / 1e3 } };
}

export function printClassifier(r) {
  const us = (x) => `${x.toFixed(1)} µs`;
  printTable(`9. Intent classifier, one core, ${r.messages} generated messages`, [
    { step: 'classifier.predict alone', p50: us(r.predict.p50), p99: us(r.predict.p99), mean: us(r.predict.mean) },
    { step: 'local embedder embedSync', p50: us(r.embed.p50), p99: us(r.embed.p99), mean: us(r.embed.mean) },
    { step: 'Router.route latencyMs (embed → model)', p50: us(r.route.p50), p99: us(r.route.p99), mean: '' },
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printClassifier(await runClassifier({ log: console.error }));
