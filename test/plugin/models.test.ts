import { describe, expect, it } from 'vitest';
import { modelRefFor, toOverride } from '../../dist/plugin/models.js';

const lists = { flagshipModels: ['anthropic/claude-opus-4-5', 'openai/gpt-5'], lightweightModels: ['anthropic/claude-haiku-4-5'] };
const none = { flagshipModels: [], lightweightModels: [] };

describe('mapping a decision to an OpenClaw model ref', () => {
  it("keeps the daemon's selectedModel when the tier's list contains it", () => {
    expect(modelRefFor('flagship', 'openai/gpt-5', lists)).toBe('openai/gpt-5');
  });

  it("uses the first ref of the tier's list when selectedModel is not in it", () => {
    expect(modelRefFor('flagship', 'somewhere/else', lists)).toBe('anthropic/claude-opus-4-5');
    expect(modelRefFor('lightweight', 'anthropic/claude-opus-4-5', lists)).toBe('anthropic/claude-haiku-4-5');
  });

  it('uses the first ref of the list for a tier decided without a model (a prefix)', () => {
    expect(modelRefFor('lightweight', undefined, lists)).toBe('anthropic/claude-haiku-4-5');
  });

  it('passes selectedModel through as an explicit provider/model ref when no list is configured', () => {
    expect(modelRefFor('flagship', 'flag/big', none)).toBe('flag/big');
    expect(modelRefFor('lightweight', ' light/small ', none)).toBe('light/small');
  });

  it('gives no ref when there is neither a list nor a selectedModel', () => {
    expect(modelRefFor('flagship', undefined, none)).toBeNull();
    expect(modelRefFor('flagship', '', none)).toBeNull();
  });

  it('only consults the list of the decided tier', () => {
    expect(modelRefFor('flagship', 'x/y', { flagshipModels: [], lightweightModels: ['light/small'] })).toBe('x/y');
  });
});

describe('turning a ref into before_model_resolve overrides', () => {
  it('splits provider/model at the first slash', () => {
    expect(toOverride('anthropic/claude-opus-4-5')).toEqual({ providerOverride: 'anthropic', modelOverride: 'claude-opus-4-5' });
  });

  it('keeps further slashes in the model id', () => {
    expect(toOverride('openrouter/anthropic/claude-opus-4-5')).toEqual({ providerOverride: 'openrouter', modelOverride: 'anthropic/claude-opus-4-5' });
  });

  it('overrides only the model for a bare id or a ref with an empty side', () => {
    expect(toOverride('llama3.3:8b')).toEqual({ modelOverride: 'llama3.3:8b' });
    expect(toOverride('/x')).toEqual({ modelOverride: '/x' });
    expect(toOverride('x/')).toEqual({ modelOverride: 'x/' });
  });
});
