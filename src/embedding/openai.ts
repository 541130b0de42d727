import { SrdError } from '../errors.js';
import { type ProviderRequest, RemoteEmbedder } from './remote.js';

/**
 * OpenAI-compatible embeddings: `POST {baseUrl}/embeddings` with `{model, input: [...],
 * encoding_format: "float", dimensions?}` and `Authorization: Bearer <key>`, answered by
 * `{data: [{index, embedding}]}`. Spoken by OpenAI, SiliconFlow, Ollama (`/v1`), LM Studio, vLLM,
 * LiteLLM and others (provider `custom`). Rule: OpenAI API reference "Create embeddings".
 */
export class OpenAiEmbedder extends RemoteEmbedder {
  /** OpenAI's limit on inputs per request (API reference: "must not exceed 2048"). */
  protected readonly maxBatch = 2048;

  protected buildRequest(texts: string[], dims: number | null): ProviderRequest {
    const headers: Record<string, string> = {};
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    return {
      path: '/embeddings',
      headers,
      body: { model: this.options.model, input: texts, encoding_format: 'float', ...(dims === null ? {} : { dimensions: dims }) },
    };
  }

  protected readVectors(json: unknown, count: number): unknown[] {
    const data = (json as { data?: unknown })?.data;
    if (!Array.isArray(data)) throw this.bad('has no "data" array');
    if (data.length !== count) throw this.bad(`has ${data.length} embeddings for ${count} inputs`);
    const out: unknown[] = new Array(count);
    data.forEach((item: unknown, n) => {
      const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
      // `index` places each vector; servers that omit it answer in input order.
      const at = index === undefined ? n : index;
      if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= count || out[at] !== undefined)
        throw this.bad(`has a bad or repeated index ${JSON.stringify(index)}`);
      out[at] = embedding;
    });
    return out;
  }

  private bad(what: string): SrdError {
    return new SrdError('SRD_ERR_EMBED_BAD_RESPONSE', `${this.label}: the embeddings response ${what}`);
  }
}
