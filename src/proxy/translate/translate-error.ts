/**
 * A request the translation cannot represent in the other protocol: content or a tool with no
 * counterpart (audio input, an uploaded file's id, an Anthropic server tool, …). Dropping such a part
 * would silently change what the model is asked, so the proxy refuses the request instead, with
 * HTTP `status` (400) in the client's protocol.
 */
export class TranslateError extends Error {
  readonly status = 400;
  /** The request field at fault, as a path (e.g. `messages[2].content[0]`), or null. */
  readonly param: string | null;
  constructor(message: string, param: string | null = null) {
    super(message);
    this.name = 'TranslateError';
    this.param = param;
  }
}
