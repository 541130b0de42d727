/** Requests the plugin sends on its connection to the daemon, multiplexed by id until each is answered, timed out or failed. */
import { randomUUID } from 'node:crypto';
import { isRecord, type SocketLike, unref } from './socket.js';

/** A request that failed; `kind` says whether the daemon was unreachable, slow, or said no. */
export class RequestFailure extends Error {
  constructor(
    readonly kind: 'unavailable' | 'timeout' | 'error',
    message: string,
    readonly wire?: { code?: string; message?: string; retryable?: boolean },
  ) {
    super(message);
    this.name = 'RequestFailure';
  }
}

interface Pending {
  resolve: (payload: unknown) => void;
  reject: (err: RequestFailure) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The requests sent and not settled yet, by id. */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;

  /**
   * Sends `method` on `ws` and resolves with the answer's payload. Rejects with RequestFailure:
   * `timeout` after `timeoutMs` (a late answer is dropped), `unavailable` when the send throws or
   * failAll runs first, `error` when the daemon answers `ok:false`. A `background` request's timer
   * does not keep the process alive.
   */
  send<T>(ws: SocketLike, method: string, params: unknown, timeoutMs: number, background: boolean | undefined): Promise<T> {
    const id = `${++this.counter}:${randomUUID()}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          // One more event-loop turn first: when OpenClaw's thread was busy past the budget (its first
          // agent turn loads modules for hundreds of ms), the timer phase runs before the poll phase
          // that would deliver an answer already waiting in the socket. setImmediate runs after that
          // poll, so an answer that arrived in time wins; a truly missing one fails a turn later.
          setImmediate(() => {
            if (!this.pending.has(id)) return;
            this.pending.delete(id);
            reject(new RequestFailure('timeout', `no answer to ${method} within ${timeoutMs} ms`));
          });
        },
        Math.max(0, timeoutMs),
      );
      // A turn is waiting on a foreground request (for at most its budget); nobody waits on a background one.
      if (background) unref(timer);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        ws.send(JSON.stringify({ type: 'req', id, method, params }));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new RequestFailure('unavailable', `send failed: ${(err as Error).message}`));
      }
    });
  }

  /** Settles request `id` with the `res` frame answering it; an unknown (or timed-out) id is ignored. */
  answer(id: string, frame: Record<string, unknown>): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (frame.ok === true) p.resolve(frame.payload);
    else p.reject(errorAnswer(frame.error));
  }

  /** Rejects every pending request as `unavailable` with `reason`. */
  failAll(reason: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RequestFailure('unavailable', reason));
    }
    this.pending.clear();
  }
}

/** The failure an `ok:false` answer carries: the daemon's message, code and retryable flag. */
function errorAnswer(wireError: unknown): RequestFailure {
  const error = isRecord(wireError) ? wireError : {};
  const message = typeof error.message === 'string' ? error.message : 'request failed';
  return new RequestFailure('error', message, {
    ...(typeof error.code === 'string' ? { code: error.code } : {}),
    message,
    ...(typeof error.retryable === 'boolean' ? { retryable: error.retryable } : {}),
  });
}
