export { LocalEmbedder, LOCAL_MODEL, hash32 } from './local.js';
export { extractFeatures, normalizeText, stem } from './features.js';
export { sameSpace, spaceId, type Embedder, type EmbeddingSpace } from './types.js';
export { createEmbedder } from './create.js';
