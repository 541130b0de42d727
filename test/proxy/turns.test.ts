import { describe, expect, it } from 'vitest';
import { conversationKey, rewriteNewestUserText, routedText } from '../../src/proxy/turns.js';

// What OpenClaw 2026.9.6 sends around the user's words (seen by test/openclaw/proxy.e2e.test.ts):
// a timestamp envelope, a trailing runtime line, and a separate internal-context user message.
const INTERNAL = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nActive exec sessions: none\nActive Subagents none\n<<<END_OPENCLAW_INTERNAL_CONTEXT>>>';
const wrap = (words: string) =>
  `[Sat 2026-12-05 03:10 UTC] ${words}\n\nRuntime: agent=main | session=s1 | sessionId=abc | host=h | os=Linux | node=v26.10.0 | model=smart-routerd/auto`;

describe('the user turn the model API routes on', () => {
  it('reads the user’s words out of an OpenClaw turn: no envelope, no runtime line, not the internal context', () => {
    const messages = [
      { role: 'system', content: 'You are OpenClaw.' },
      { role: 'user', content: wrap("Hey, what's up? Tell me something interesting.") },
      { role: 'user', content: INTERNAL },
    ];
    expect(routedText(messages)).toBe("Hey, what's up? Tell me something interesting.");
  });

  it('does the same for Anthropic content blocks', () => {
    const messages = [
      { role: 'user', content: [{ type: 'text', text: wrap('Write unit tests for the auth middleware'), cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: INTERNAL }] },
    ];
    expect(routedText(messages)).toBe('Write unit tests for the auth middleware');
  });

  it('strips a prefix from the user’s words and keeps OpenClaw’s envelope, runtime line and internal context', () => {
    const messages = [
      { role: 'user', content: wrap('F: hello there') },
      { role: 'user', content: INTERNAL },
    ];
    expect(rewriteNewestUserText(messages, (t) => t.replace(/^F:\s*/, ''))).toBe(true);
    expect(messages[0]!.content).toBe(wrap('hello there'));
    expect(messages[1]!.content).toBe(INTERNAL);
  });

  it('leaves texts OpenClaw did not wrap as they are', () => {
    expect(routedText([{ role: 'user', content: '[draft] notes from 2026-12-05: ship it' }])).toBe('[draft] notes from 2026-12-05: ship it');
    expect(routedText([{ role: 'user', content: 'plain words' }])).toBe('plain words');
  });

  it('keys a conversation the same on every later turn (the first user turn is resent unchanged)', () => {
    const first = [
      { role: 'system', content: 's' },
      { role: 'user', content: wrap('first') },
      { role: 'user', content: INTERNAL },
    ];
    const later = [...first, { role: 'assistant', content: 'ok' }, { role: 'user', content: wrap('second') }, { role: 'user', content: INTERNAL }];
    expect(conversationKey('openai', { messages: later })).toBe(conversationKey('openai', { messages: first }));
  });
});
