import type { Config } from '../config/index.js';
import { SrdError } from '../errors.js';
import { LocalEmbedder } from './local.js';
import type { Embedder } from './types.js';

/**
 * Builds the embedder the config asks for. Today only `local` exists; remote providers
 * (openai, gemini, siliconflow, custom) arrive with issue 6 and are refused clearly until then.
 */
export function createEmbedder(config: Config): Embedder {
  const { provider } = config.memorySearch;
  if (provider === 'local') return new LocalEmbedder(config.vectorStore.vectorDim);
  throw new SrdError('SRD_ERR_EMBED_FAILED', `memorySearch.provider "${provider}" is not supported yet; use "local"`, {
    details: { provider },
  });
}
