import path from 'node:path';
import type { Logger } from 'pino';
import type { Embedder } from '../embedding/index.js';
import { spaceId } from '../embedding/index.js';
import { isSrdError } from '../errors.js';
import { moveAside } from '../vctr/index.js';
import { type DnaModel, dnaCandidates, packageRoot, readDnaFile } from './dna.js';
import { buildDna } from './dna-build.js';
import { readSeed } from './seed.js';

/**
 * Finds usable DNA for the embedder's space at start-up or reload. Candidates are tried in order
 * (state dir, then package). A corrupt file is moved aside and reported, never overwritten; a file
 * of another embedding space is skipped. If none is usable the DNA is built from the package's
 * seed into the state dir (seconds with the local embedder). Returns null only if that fails
 * too; the router then decides with keywords.
 */
export async function loadOrBuildDna(stateDir: string, embedder: Embedder, logger: Logger): Promise<DnaModel | null> {
  const found = await findDna(stateDir, embedder, logger);
  if (found) return found;
  const out = dnaCandidates(stateDir, embedder.space)[0]!;
  logger.warn({ space: spaceId(embedder.space), out }, 'no usable DNA found; building it from the packaged seed');
  try {
    const report = await buildDna({ embedder, seed: readSeed(path.join(packageRoot(), 'dna', 'seed')), out });
    logger.info({ out, ms: report.ms, heldOut: report.heldOut }, 'DNA built');
    return await readDnaFile(out, embedder.space);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'DNA build failed; routing with keywords only');
    return null;
  }
}

/**
 * The usable DNA of the embedder's space, or null when there is none (nothing is built). Same
 * candidate order and corrupt-file handling as loadOrBuildDna; a remote space's DNA is built in
 * the background instead (DnaBuildJob), so start-up never waits on the network.
 */
export async function findDna(stateDir: string, embedder: Embedder, logger: Logger): Promise<DnaModel | null> {
  for (const file of dnaCandidates(stateDir, embedder.space)) {
    try {
      return await readDnaFile(file, embedder.space);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (isSrdError(err) && err.code === 'SRD_ERR_VCTR_DIMS_MISMATCH') {
        logger.warn({ file, err: err.message }, 'skipping DNA of another embedding space');
        continue;
      }
      const aside = await moveAside(file, (err as Error).message).catch(() => null);
      logger.error({ file, movedTo: aside, err: (err as Error).message }, 'DNA file is unreadable; moved aside');
    }
  }
  return null;
}
