import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1:0 that speaks the OpenAI embeddings API (`POST /v1/embeddings`)
 * and the Gemini API (`POST /v1beta/models/{model}:batchEmbedContents`) with deterministic vectors:
 * words hashed into signed buckets, so similar texts get similar vectors and routing can work on
 * them. Each request takes the next scripted behaviour (then the default one).
 */

/** What the server does with one request. */
export type Behaviour =
  | { kind: 'ok'; delayMs?: number; dims?: number }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'stall' }
  | { kind: 'malformed' }
  | { kind: 'non-finite' }
  | { kind: 'destroy' };

/** One request the server received. */
export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Number of texts in the request. */
  inputs: number;
  /** Client port of the TCP connection (same port = a reused keep-alive socket). */
  clientPort: number;
  at: number;
}

/** A running fake. */
export interface FakeEmbeddingServer {
  /** http://127.0.0.1:port */
  origin: string;
  /** OpenAI-compatible baseUrl (…/v1). */
  openaiBaseUrl: string;
  /** Gemini baseUrl (…/v1beta). */
  geminiBaseUrl: string;
  requests: SeenRequest[];
  /** Queues behaviours for the next requests. */
  script(...behaviours: Behaviour[]): void;
  /** Behaviour once the script is used up (default `{kind:'ok'}`). */
  setDefault(behaviour: Behaviour): void;
  close(): Promise<void>;
}

/** Options of startFakeEmbeddings. */
export interface FakeOptions {
  /** The API key the server accepts; wrong keys get 401 (OpenAI) or 400 API_KEY_INVALID (Gemini) quoting the key back. */
  key?: string;
  /** Native size when a request does not ask for one. */
  nativeDims?: number;
}

/** Deterministic embedding of `text` in `dims` values (not normalised: the client must do it). */
export function fakeVector(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  v[0] = 0.01;
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    const units = /\p{Script=Han}/u.test(word) ? Array.from(word) : [word];
    for (const unit of units) {
      let h = 0x811c9dc5;
      for (let i = 0; i < unit.length; i++) h = Math.imul(h ^ unit.charCodeAt(i), 0x01000193) >>> 0;
      v[h % dims]! += h & 0x80000000 ? -1.5 : 1.5;
    }
  }
  return v;
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeEmbeddings(options: FakeOptions = {}): Promise<FakeEmbeddingServer> {
  const nativeDims = options.nativeDims ?? 64;
  const queue: Behaviour[] = [];
  let fallback: Behaviour = { kind: 'ok' };
  const requests: SeenRequest[] = [];
  const stalled = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      raw += d;
    });
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw || '{}');
      } catch {
        /* leave empty */
      }
      const url = req.url ?? '';
      const gemini = url.startsWith('/v1beta/models/') && url.endsWith(':batchEmbedContents');
      const openai = url === '/v1/embeddings';
      const texts = gemini
        ? ((body.requests as Array<{ content: { parts: Array<{ text: string }> } }>) ?? []).map((r) => r.content.parts.map((p) => p.text).join(' '))
        : ((Array.isArray(body.input) ? body.input : [body.input]) as string[]);
      requests.push({ path: url, headers: req.headers, body, inputs: texts.length, clientPort: req.socket.remotePort ?? 0, at: Date.now() });
      const send = (status: number, payload: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(payload);
      };
      if (!gemini && !openai) return send(404, JSON.stringify({ error: { message: `no route ${url}` } }));
      if (options.key !== undefined) {
        const given = gemini ? String(req.headers['x-goog-api-key'] ?? '') : String(req.headers.authorization ?? '').replace(/^Bearer /, '');
        if (given !== options.key) {
          // Real providers quote the key back (OpenAI masks it; proxies may not): the client must scrub it.
          if (gemini)
            return send(
              400,
              JSON.stringify({
                error: {
                  code: 400,
                  message: `API key not valid: ${given}. Please pass a valid API key.`,
                  status: 'INVALID_ARGUMENT',
                  details: [{ reason: 'API_KEY_INVALID' }],
                },
              }),
            );
          return send(
            401,
            JSON.stringify({ error: { message: `Incorrect API key provided: ${given}.`, type: 'invalid_request_error', code: 'invalid_api_key' } }),
          );
        }
      }
      const b = queue.shift() ?? fallback;
      const requested = gemini
        ? (body.requests as Array<{ outputDimensionality?: number }>)?.[0]?.outputDimensionality
        : (body.dimensions as number | undefined);
      switch (b.kind) {
        case 'stall':
          stalled.add(res);
          return;
        case 'destroy':
          req.socket.destroy();
          return;
        case 'malformed':
          return send(200, '<html>502 Bad Gateway</html>', { 'content-type': 'text/html' });
        case 'status':
          return send(b.status, b.body ?? JSON.stringify({ error: { message: `fake error ${b.status}` } }), b.headers);
        case 'non-finite': {
          const dims = requested ?? nativeDims;
          const vec = fakeVector(texts[0] ?? '', dims);
          vec[1] = 1e39;
          return send(
            200,
            gemini
              ? JSON.stringify({ embeddings: texts.map(() => ({ values: vec })) })
              : JSON.stringify({ data: texts.map((_, index) => ({ index, embedding: vec })) }),
          );
        }
        case 'ok': {
          const dims = b.dims ?? requested ?? nativeDims;
          const payload = gemini
            ? JSON.stringify({ embeddings: texts.map((t) => ({ values: fakeVector(t, dims) })) })
            : // Reversed order with explicit indexes: the client must place vectors by index.
              JSON.stringify({
                object: 'list',
                model: body.model,
                data: texts.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t, dims) })).reverse(),
              });
          const reply = () => {
            if (!res.destroyed) send(200, payload);
          };
          if (b.delayMs) setTimeout(reply, b.delayMs);
          else reply();
          return;
        }
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    openaiBaseUrl: `${origin}/v1`,
    geminiBaseUrl: `${origin}/v1beta`,
    requests,
    script: (...b) => {
      queue.push(...b);
    },
    setDefault: (b) => {
      fallback = b;
    },
    close: async () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening (connection refused). */
export async function refusedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
