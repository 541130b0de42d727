import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSrdError } from '../../src/errors.js';
import { RouteFeedbackParamsSchema } from '../../src/gateway/frames.js';
import { EMPTY_PATCH_TEXT_MESSAGE, isLearnableText } from '../../src/memory/index.js';
import { axis, journalPath, storeFixture } from './helpers.js';

// Issue 15: a correction needs text. The rule lives in src/memory/patch.ts (isLearnableText,
// enforced by MemoryStore.append); the gateway's route.feedback schema states it too, because the
// gateway may not import memory/. This suite holds the two in step.

let dir: string;
const openStore = storeFixture((d) => (dir = d));

const NOTHING = ['', ' ', '   ', '\t\n\r', '\u0000\u0000', '\u0007\u001b', '\u00a0\u3000', '\u200b\ufeff', '\u0085\u2028', ' \u0000 \u200d '];
const SOMETHING = ['a', ' x ', '.', '你好', '\u0000ok', '🙂', 'F:', '\u200bword'];

describe('text a correction can be learned from', () => {
  it('is refused by the store when it is empty, whitespace, control or invisible characters only, and nothing is written', async () => {
    const store = await openStore();
    for (const text of NOTHING) {
      const err = await store.append({ vector: axis(16, 0), tier: 'flagship', text, origin: 'feedback' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isSrdError(err, 'SRD_ERR_PATCH_EMPTY'), JSON.stringify(text)).toBe(true);
      expect((err as Error).message).toBe(EMPTY_PATCH_TEXT_MESSAGE);
    }
    expect(store.size).toBe(0);
    await store.close();
    expect(fs.statSync(journalPath(dir)).size).toBe(0);
  });

  it('is accepted by the store when at least one character carries meaning', async () => {
    const store = await openStore();
    for (const [i, text] of SOMETHING.entries()) await store.append({ vector: axis(16, i), tier: 'lightweight', text, origin: 'cli' });
    expect(store.size).toBe(SOMETHING.length);
  });

  it('gets the same verdict and message from the route.feedback params schema as from the store', () => {
    for (const text of [...NOTHING, ...SOMETHING]) {
      const parsed = RouteFeedbackParamsSchema.safeParse({ text, tier: 'flagship' });
      expect(parsed.success, JSON.stringify(text)).toBe(isLearnableText(text));
      if (!parsed.success) expect(parsed.error.issues.map((i) => [i.path, i.message])).toEqual([[['text'], EMPTY_PATCH_TEXT_MESSAGE]]);
    }
  });
});
