import { SrdError } from '../errors.js';
import { type ProviderRequest, RemoteEmbedder } from './remote.js';

/**
 * Google Gemini embeddings: `POST {baseUrl}/models/{model}:batchEmbedContents` with
 * `{requests: [{model: "models/{model}", content: {parts: [{text}]}, taskType,
 * outputDimensionality?}]}` and the key in the `x-goog-api-key` header (never in the URL, where
 * proxies and logs would keep it), answered by `{embeddings: [{values}]}`.
 * Rule: Gemini API reference "models.batchEmbedContents".
 */
export class GeminiEmbedder extends RemoteEmbedder {
  /** batchEmbedContents accepts at most 100 requests per call (Gemini API reference). */
  protected readonly maxBatch = 100;

  protected buildRequest(texts: string[], dims: number | null): ProviderRequest {
    const model = this.options.model.replace(/^models\//, '');
    const headers: Record<string, string> = {};
    if (this.options.apiKey) headers['x-goog-api-key'] = this.options.apiKey;
    return {
      path: `/models/${encodeURIComponent(model)}:batchEmbedContents`,
      headers,
      body: {
        requests: texts.map((text) => ({
          model: `models/${model}`,
          content: { parts: [{ text }] },
          // Routing is classification against preset intents; queries, DNA seed and patches all use
          // the same task type, so they share one space (Gemini embeddings guide: task types).
          taskType: 'CLASSIFICATION',
          ...(dims === null ? {} : { outputDimensionality: dims }),
        })),
      },
    };
  }

  /** Gemini answers a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID (Gemini API troubleshooting). */
  protected override isAuthError(status: number, body: string): boolean {
    return status === 401 || status === 403 || (status === 400 && /API_KEY_INVALID|API key not valid/.test(body));
  }

  protected readVectors(json: unknown, count: number): unknown[] {
    const embeddings = (json as { embeddings?: unknown })?.embeddings;
    if (!Array.isArray(embeddings)) throw this.bad('has no "embeddings" array');
    if (embeddings.length !== count) throw this.bad(`has ${embeddings.length} embeddings for ${count} inputs`);
    return embeddings.map((e: unknown) => (e as { values?: unknown } | null)?.values);
  }

  private bad(what: string): SrdError {
    return new SrdError('SRD_ERR_EMBED_BAD_RESPONSE', `${this.label}: the batchEmbedContents response ${what}`);
  }
}
