import net from 'node:net';

/** Result of waiting for `/readyz`. */
export interface ReadyResult {
  ready: boolean;
  /** Last thing seen: `200`, `503 starting`, `ECONNREFUSED`, ... (for messages). */
  detail: string;
}

/**
 * How the service code learns whether the daemon is up. The unit is `Type=simple`, so systemd
 * (and launchd, which has no readiness notion) report "started" as soon as node is exec'd;
 * readiness is the daemon's own `GET /readyz` (200 only when routes can be answered;
 * protocol reference §7, the same probe OpenClaw's service start/restart waits for).
 */
export interface ReadinessProbe {
  /** Polls `url` every 250 ms until it answers 200 or `timeoutMs` passes. */
  waitReady(url: string, timeoutMs: number): Promise<ReadyResult>;
  /** True when something accepts TCP connections on host:port (within 1 s). */
  listening(host: string, port: number): Promise<boolean>;
}

/** `http://host:port/readyz`, with IPv6 hosts bracketed and wildcard binds probed on loopback. */
export function readyzUrl(bind: string, port: number): string {
  const host = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/readyz`;
}

/** The real probe: Node's fetch for /readyz and a TCP connect for `listening`. */
export const httpProbe: ReadinessProbe = {
  async waitReady(url, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let detail = 'no answer';
    for (;;) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        const body = await res.text();
        if (res.status === 200) return { ready: true, detail: '200' };
        detail = `${res.status} ${statusOf(body)}`.trim();
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        detail = cause?.code ?? (err as Error).name;
      }
      if (Date.now() >= deadline) return { ready: false, detail };
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  },
  listening(host, port) {
    return new Promise((resolve) => {
      const socket = net.connect({ host: host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port });
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1_000, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  },
};

function statusOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { status?: unknown };
    return typeof parsed.status === 'string' ? parsed.status : '';
  } catch {
    return '';
  }
}
