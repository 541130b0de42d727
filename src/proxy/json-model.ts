/**
 * Replaces the value of the top-level `"model"` member of a JSON object text and leaves every other
 * byte as it was, so a same-protocol request reaches the upstream exactly as the client wrote it
 * (fields this gateway does not know, `cache_control`, thinking blocks, number spellings, key
 * order; issue 12 "pass the body through untouched except model"). Returns null when `text` is not
 * an object or has no top-level string `model`. `text` must already be valid JSON (JSON.parse first).
 */
export function replaceTopLevelModel(text: string, model: string): string | null {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return null;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] === '}') return null;
    if (text[i] !== '"') return null;
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i++; // ':'
    i = skipSpace(text, i);
    const valueEnd = valueEndAt(text, i);
    if (key === 'model' && text[i] === '"') return `${text.slice(0, i)}${JSON.stringify(model)}${text.slice(valueEnd)}`;
    i = skipSpace(text, valueEnd);
    if (text[i] === ',') i++;
    else return null;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** Index just past the string literal starting at `i` (a `"`). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  return text.length;
}

/** Index just past the JSON value starting at `i`. */
function valueEndAt(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = stringEnd(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !',}] \n\r\t'.includes(text[j]!)) j++;
  return j;
}
