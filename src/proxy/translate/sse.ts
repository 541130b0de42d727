import type { SseEvent } from './types.js';

/** Line feed and carriage return, the two characters that end an event-stream line. */
const LF = 10;
const CR = 13;

/**
 * Incremental `text/event-stream` parser (WHATWG HTML "Server-sent events", §9.2.6 "Interpreting an
 * event stream"): lines end in CRLF, LF or CR; a blank line dispatches the event; `event:` sets
 * its type, `data:` lines are joined with `\n`; one space after the colon is dropped; lines starting
 * with `:` are comments; `id:` and `retry:` are read and ignored (a proxy does not reconnect); an
 * event with no data is not dispatched; a leading BOM is skipped; at the end of the stream an
 * unterminated event is discarded. Chunks may split anywhere, also inside a UTF-8 sequence:
 * Buffers go through a streaming TextDecoder.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private eventType = '';
  private data: string[] = [];
  private started = false;
  /** How much of `buffer` was already scanned without finding a line end. */
  private scanned = 0;

  /** Feeds bytes (decoded as UTF-8, a split sequence completed by the next chunk) or text; returns the events completed by it, in order. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    const b = this.buffer;
    let i = this.scanned;
    for (; i < b.length; i++) {
      const c = b.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      // A CR that ends the buffer may be the first half of a CRLF: wait for the next chunk.
      if (c === CR && i === b.length - 1) break;
      this.line(b.slice(start, i), events);
      if (c === CR && b.charCodeAt(i + 1) === LF) i++;
      start = i + 1;
    }
    this.buffer = b.slice(start);
    this.scanned = i - start;
    return events;
  }

  /**
   * Ends the stream: a line still held back for a possible CRLF is processed (so a final blank
   * line ending in a lone CR still dispatches), then the unterminated rest is discarded (WHATWG:
   * "if the file ends in the middle of an event, the incomplete event is not dispatched").
   */
  end(): SseEvent[] {
    this.buffer += this.decoder.decode();
    const events = this.buffer.endsWith('\r') ? this.push('\n') : [];
    this.buffer = '';
    this.scanned = 0;
    this.data = [];
    this.eventType = '';
    return events;
  }

  /** Processes one line (WHATWG "process the field", "dispatch the event"). */
  private line(line: string, events: SseEvent[]): void {
    if (line.length === 0) {
      if (this.data.length > 0) {
        const event: SseEvent = { data: this.data.join('\n') };
        if (this.eventType) event.event = this.eventType;
        events.push(event);
      }
      this.data = [];
      this.eventType = '';
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return; // ':' comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.data.push(value);
  }
}

/** One OpenAI stream line: `data: <json>` and a blank line (OpenAI Chat Completions streaming). */
export const openaiSse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;

/** The OpenAI stream terminator (OpenAI Chat Completions streaming: `data: [DONE]`). */
export const OPENAI_DONE = 'data: [DONE]\n\n';

/** One Anthropic stream event: `event: <type>`, `data: <json>` and a blank line (Anthropic Messages streaming; the event name repeats `data.type`). */
export const anthropicSse = <T extends { type: string }>(payload: T): string => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;

/** Parses an event's data as a JSON object; null when it is not one. */
export function parseJsonObject(data: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(data);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
