/** Model tiers (Smart Router doc). */
export type Tier = 'flagship' | 'lightweight';
export const TIERS: readonly Tier[] = ['flagship', 'lightweight'];

/** DNA intent labels, in the canonical row order of legacy v1 DNA files. */
export const INTENTS = ['CHAT', 'FACT', 'TRANS', 'CODE', 'REASON', 'WRITE'] as const;
export type Intent = (typeof INTENTS)[number];

/** Tier of each intent: CODE and REASON need the flagship model (Smart Router doc: DNA intents). */
export const INTENT_TIER: Record<Intent, Tier> = {
  CHAT: 'lightweight',
  FACT: 'lightweight',
  TRANS: 'lightweight',
  CODE: 'flagship',
  REASON: 'flagship',
  WRITE: 'lightweight',
};

/** Type guard for intent labels. */
export function isIntent(value: unknown): value is Intent {
  return typeof value === 'string' && (INTENTS as readonly string[]).includes(value);
}

/** Type guard for tiers. */
export function isTier(value: unknown): value is Tier {
  return value === 'flagship' || value === 'lightweight';
}
