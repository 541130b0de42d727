import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SseParser } from '../../src/proxy/translate/index.js';
import { mulberry32 } from '../helpers/random.js';

/** test/proxy/fixtures/: golden requests, responses, error bodies (JSON) and SSE transcripts (.sse). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A JSON fixture: `input` in one protocol, `expected` in the other, for `model` (and a fixed clock `now`, in seconds). */
export interface Golden<I = unknown, E = unknown> {
  about: string;
  source: string;
  model: string;
  now?: number;
  input: I;
  expected: E;
}

export const readText = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
export const readJson = <T>(name: string): T => JSON.parse(readText(name)) as T;
export const fixtureNames = (prefix: string): string[] =>
  readdirSync(FIXTURES)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort();

/** One SSE event with its data parsed (JSON, or the literal `[DONE]`), for comparisons where key order does not matter. */
export interface ParsedEvent {
  event?: string;
  data: unknown;
}

/**
 * Parses a whole SSE transcript into events with JSON data, and checks its framing: every event
 * ends with a blank line (`\n\n`) and nothing is left over.
 */
export function parseTranscript(text: string): ParsedEvent[] {
  if (text.length > 0 && !text.endsWith('\n\n')) throw new Error(`transcript does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()].map((e) => {
    const out: ParsedEvent = { data: e.data === '[DONE]' ? '[DONE]' : JSON.parse(e.data) };
    if (e.event !== undefined) out.event = e.event;
    return out;
  });
}

/** Splits `bytes` into chunks of random sizes 1..`max` (seeded). */
export function randomChunks(bytes: Uint8Array, seed: number, max = 48): Uint8Array[] {
  const rnd = mulberry32(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const size = 1 + Math.floor(rnd() * max);
    out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}

/** Rewrites a transcript's LF line ends as CRLF or CR (both legal in an event stream). */
export const withLineEnds = (text: string, eol: '\n' | '\r\n' | '\r'): string => text.replaceAll('\n', eol);
