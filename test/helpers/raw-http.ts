import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Sends `request` as raw bytes to 127.0.0.1:`port` and resolves with everything the server wrote
 * until it closed the socket or `timeoutMs` passed (then the socket is destroyed). For request
 * targets and heads that no HTTP client library would send.
 */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(request);
  });
}

/** A WebSocket opened by hand: the socket after `101 Switching Protocols`, and what followed it. */
export interface RawUpgrade {
  socket: net.Socket;
  /** Bytes received after the response head (the connect.challenge frame, then more). */
  received: Buffer[];
  closed: Promise<void>;
}

/**
 * Performs the WebSocket upgrade on a raw TCP socket (RFC 6455 §4.1) so a test can write frames
 * byte by byte, e.g. a frame header that announces 20 MiB and then the payload in pieces.
 * Rejects with the response head when the server does not answer 101.
 */
export function rawUpgrade(port: number, headers: Record<string, string> = {}): Promise<RawUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const closed = new Promise<void>((res) => socket.on('close', () => res()));
    socket.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const text = head.subarray(0, end).toString('latin1');
      if (!text.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(text));
        return;
      }
      if (head.length > end + 4) received.push(head.subarray(end + 4));
      socket.on('data', (more) => received.push(more));
      resolve({ socket, received, closed });
    };
    socket.on('data', onData);
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(
      `GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra.join('')}\r\n`,
    );
  });
}

/** Header of a masked client text frame announcing `length` payload bytes, mask key 0 (payload bytes are sent as they are). */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, 0x80 | length, 0, 0, 0, 0]);
  if (length < 65536) {
    const b = Buffer.from([0x81, 0x80 | 126, 0, 0, 0, 0, 0, 0]);
    b.writeUInt16BE(length, 2);
    return b;
  }
  const b = Buffer.alloc(14);
  b[0] = 0x81;
  b[1] = 0x80 | 127;
  b.writeBigUInt64BE(BigInt(length), 2);
  return b;
}

/** A whole masked client text frame (mask key 0). */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([textFrameHeader(payload.length), payload]);
}

/** Resident set size of process `pid`, bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}
