import { parentPort, workerData } from 'node:worker_threads';
import { createEmbedder, scrubSecrets } from '../embedding/index.js';
import { isSrdError } from '../errors.js';
import { buildSpaceDna } from './dna-build-resumable.js';
import type { DnaBuildWorkerData, DnaBuildWorkerMessage } from './dna-job.js';
import { readSeed } from './seed.js';

/**
 * Worker-thread entry of a background DNA build (DnaBuildJob): embeds the seed with the configured
 * remote provider (resumable) and trains the DNA off the main thread, whose event loop keeps
 * answering routes meanwhile (training dense remote vectors takes seconds of CPU).
 */
const data = workerData as DnaBuildWorkerData;
const post = (msg: DnaBuildWorkerMessage) => parentPort!.postMessage(msg);
const embedder = createEmbedder(data.config);
let lastPost = 0;
try {
  const report = await buildSpaceDna({
    embedder,
    seed: readSeed(data.seedDir),
    out: data.out,
    batchSize: data.config.memorySearch.remote.batchSize,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastPost < 200 && p.done < p.total) return;
      lastPost = now;
      post({ type: 'progress', ...p });
    },
  });
  post({ type: 'done', ms: report.ms, rows: report.rows, samples: report.samples, threshold: report.threshold, heldOut: { ...report.heldOut } });
} catch (err) {
  const message = scrubSecrets((err as Error).message ?? String(err), [data.config.memorySearch.remote.apiKey], 500);
  post({ type: 'error', code: isSrdError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? 'ERR'), message });
} finally {
  await embedder.close?.();
}
