import { describe, expect, it } from 'vitest';
import { matchPrefix, prefixStripReplacement, userText } from '../../dist/plugin/prefix.js';
import { DEFAULT_PREFIXES } from '../../dist/plugin/settings.js';
import { matchPrefix as daemonMatchPrefix } from '../../dist/routing/prefix.js';

const P = DEFAULT_PREFIXES;
const strip = (text: string, prefixes = P) => {
  const r = prefixStripReplacement(prefixes)!;
  return text.replace(r.from, r.to);
};

describe('prefix detection', () => {
  it.each([
    ['F: write a parser', 'flagship', 'F:', 'write a parser'],
    ['Force: hi', 'flagship', 'Force:', 'hi'],
    ['旗舰:解释量子纠缠', 'flagship', '旗舰:', '解释量子纠缠'],
    ['旗舰：解释量子纠缠', 'flagship', '旗舰:', '解释量子纠缠'],
    ['L: remind me', 'lightweight', 'L:', 'remind me'],
    ['fast: hi', 'lightweight', 'Fast:', 'hi'],
    ['轻量：写一个排序算法', 'lightweight', '轻量:', '写一个排序算法'],
    ['   f:   spaced', 'flagship', 'F:', 'spaced'],
  ])('%j forces %s', (text, tier, prefix, rest) => {
    expect(matchPrefix(text, P)).toEqual({ tier, prefix, text: rest });
  });

  it.each(['Fix the login bug', 'Left: or right?', 'What does F mean', 'a F: in the middle'])('%j has no prefix', (text) => {
    expect(matchPrefix(text, P)).toBeNull();
  });

  it('decides every case exactly as the daemon does (routing/prefix.ts)', () => {
    const texts = ['F: a', 'f：b', 'Force: c', 'force:d', '旗舰:e', '旗舰：f', 'L: g', 'Fast:h', '轻量：i', 'Fx: j', ' L:k', 'LF: l', 'F:', 'no prefix'];
    const custom = { flagship: ['!big:', 'F:'], lightweight: ['!small:', 'Fa:'] };
    for (const prefixes of [P, custom]) {
      for (const text of texts.concat(['!big: m', 'fa: n'])) {
        expect(matchPrefix(text, prefixes), `${JSON.stringify(text)} with ${JSON.stringify(prefixes)}`).toEqual(
          daemonMatchPrefix(text, { flagship: [...prefixes.flagship], lightweight: [...prefixes.lightweight] }),
        );
      }
    }
  });

  it('prefers the longest prefix when one is the start of another', () => {
    expect(matchPrefix('Fa: x', { flagship: ['F'], lightweight: ['Fa:'] })?.tier).toBe('lightweight');
  });
});

describe("the user's text of a before_model_resolve prompt", () => {
  it('is the prompt itself when there is no envelope (openclaw agent, local or through the Gateway)', () => {
    expect(userText('Write unit tests for the auth middleware, cover edge cases', P)).toBe('Write unit tests for the auth middleware, cover edge cases');
    expect(userText('[WIP] fix the flaky test', P)).toBe('[WIP] fix the flaky test');
  });

  it('drops an OpenClaw envelope header (recognised by its date)', () => {
    expect(userText("[Sat 2026-11-21 18:54 UTC] Hey, what's up?", P)).toBe("Hey, what's up?");
    expect(userText('[Sat 2026-11-21 18:54 UTC] Fix the bug: F: is a flag', P)).toBe('Fix the bug: F: is a flag');
  });

  it('drops the sender label too when a tier prefix follows it, so the daemon sees the prefix', () => {
    expect(userText('[Telegram Ada +2m Sat 2026-11-21 18:54 UTC] Ada: F: compare these designs', P)).toBe('F: compare these designs');
    expect(userText('[Telegram Ada Sat 2026-11-21 18:54 UTC] Ada: just chatting', P)).toBe('Ada: just chatting');
  });
});

describe('stripping the prefix from what the model sees (text transform)', () => {
  it("removes the prefix after OpenClaw's timestamp envelope and keeps the rest of the message", () => {
    expect(strip('[Sat 2026-11-21 18:54 UTC] F: tell me a joke\n\nRuntime: agent=main')).toBe(
      '[Sat 2026-11-21 18:54 UTC] tell me a joke\n\nRuntime: agent=main',
    );
  });

  it('removes it at the very start, with either colon and any case', () => {
    expect(strip('轻量：写一个排序算法')).toBe('写一个排序算法');
    expect(strip('force:   explain monads')).toBe('explain monads');
  });

  it('removes it after a channel envelope and sender label, keeping both', () => {
    expect(strip('[Telegram Ada +2m Sat 2026-11-21 18:54 UTC] Ada: L: remind me at 9')).toBe('[Telegram Ada +2m Sat 2026-11-21 18:54 UTC] Ada: remind me at 9');
  });

  it('leaves messages without a leading prefix, and the system prompt, untouched', () => {
    for (const text of [
      '[Sat 2026-11-21 18:54 UTC] Fix the bug: F: is a flag',
      '[Telegram Ada Sat 2026-11-21 18:54 UTC] Ada: Fix the bug: F: is a flag',
      '<!-- openclaw:attempt:STABLE -->\nYou are a personal assistant',
      'Left: or right?',
      'Note: L: later',
    ]) {
      expect(strip(text)).toBe(text);
    }
  });

  it('is null when no prefixes are configured', () => {
    expect(prefixStripReplacement({ flagship: [], lightweight: [] })).toBeNull();
  });

  it('escapes prefixes that contain regular-expression characters', () => {
    expect(strip('(big)+ x', { flagship: ['(big)+'], lightweight: [] })).toBe('x');
    expect(strip('big x', { flagship: ['(big)+'], lightweight: [] })).toBe('big x');
  });
});
