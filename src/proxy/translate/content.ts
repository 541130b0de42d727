import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { TranslateError } from './translate-error.js';

/** Image media types the Anthropic Messages API accepts in a base64 image source. */
const ANTHROPIC_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** A parsed `data:` URL with base64 data (RFC 2397). */
export interface DataUrl {
  mediaType: string;
  data: string;
}

/** Parses `data:<media type>[;params];base64,<data>`; null for any other URL (http(s), or a data URL that is not base64). */
export function parseDataUrl(url: string): DataUrl | null {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!m || !m[2]!.split(';').some((p) => p.toLowerCase() === 'base64')) return null;
  return { mediaType: m[1]!.trim().toLowerCase(), data: m[3]! };
}

/** A base64 `data:` URL (RFC 2397). */
export const dataUrl = (mediaType: string, data: string): string => `data:${mediaType};base64,${data}`;

/**
 * OpenAI `image_url` part → Anthropic `image` block (Anthropic Messages API "Vision"): a base64
 * `data:` URL becomes a `base64` source (jpeg, png, gif, webp only), an http(s) URL a `url` source.
 * `detail` has no counterpart and is dropped.
 */
export function anthropicImage(part: OpenAI.Chat.ChatCompletionContentPartImage, where: string): Anthropic.ImageBlockParam {
  const url = part.image_url?.url;
  if (typeof url !== 'string') throw new TranslateError('image_url.url: required', where);
  const parsed = parseDataUrl(url);
  if (parsed) {
    if (!ANTHROPIC_IMAGE_TYPES.has(parsed.mediaType))
      throw new TranslateError(`image of type ${parsed.mediaType || '(none)'}: Anthropic accepts image/jpeg, image/png, image/gif and image/webp`, where);
    return { type: 'image', source: { type: 'base64', media_type: parsed.mediaType as Anthropic.Base64ImageSource['media_type'], data: parsed.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new TranslateError('image_url.url: a base64 data: URL or an http(s) URL', where);
}

/** Anthropic `image` block → OpenAI `image_url` part (the reverse of anthropicImage; a Files API `file` source has no counterpart). */
export function openaiImage(block: Anthropic.ImageBlockParam, where: string): OpenAI.Chat.ChatCompletionContentPartImage {
  const s = block.source;
  if (s?.type === 'base64') return { type: 'image_url', image_url: { url: dataUrl(s.media_type, s.data) } };
  if (s?.type === 'url') return { type: 'image_url', image_url: { url: s.url } };
  throw new TranslateError(`image source of type ${String((s as { type?: unknown })?.type)}: OpenAI takes base64 or URL images only`, where);
}

/**
 * OpenAI `file` part → Anthropic `document` block: a base64 PDF (`file_data` data URL) becomes a
 * `base64` PDF source, `filename` its `title`. A `file_id` (OpenAI Files API) has no counterpart.
 */
export function anthropicDocument(part: OpenAI.Chat.ChatCompletionContentPart.File, where: string): Anthropic.DocumentBlockParam {
  const parsed = typeof part.file?.file_data === 'string' ? parseDataUrl(part.file.file_data) : null;
  if (parsed?.mediaType !== 'application/pdf')
    throw new TranslateError('file parts: only a base64 PDF in file_data (data:application/pdf;base64,…) can be sent to Anthropic', where);
  const doc: Anthropic.DocumentBlockParam = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: parsed.data } };
  if (part.file.filename) doc.title = part.file.filename;
  return doc;
}

/**
 * Anthropic `document` block → an OpenAI part: a base64 PDF becomes a `file` part with `file_data`
 * (`title` as `filename`, else `document.pdf`), a plain-text source a `text` part. URL and Files API
 * sources have no counterpart.
 */
export function openaiDocument(block: Anthropic.DocumentBlockParam, where: string): OpenAI.Chat.ChatCompletionContentPart {
  const s = block.source;
  if (s?.type === 'base64' && s.media_type === 'application/pdf') {
    return { type: 'file', file: { file_data: dataUrl('application/pdf', s.data), filename: block.title || 'document.pdf' } };
  }
  if (s?.type === 'text') return { type: 'text', text: s.data };
  throw new TranslateError(`document source of type ${String((s as { type?: unknown })?.type)}: OpenAI takes base64 PDFs and plain text only`, where);
}
