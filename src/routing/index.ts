/** The routing room (DESIGN.md §2): the live decision pipeline of one embedding space. */
export { Router, dnaScanner, type RouterDeps, type RouteOptions, type DnaScanner } from './router.js';
export type { RouteDecision, DecisionSource, LearningEvent } from './decision.js';
export { INTENTS, INTENT_TIER, TIERS, isIntent, isTier, type Intent, type Tier } from './intents.js';
export { matchPrefix, type PrefixMatch } from './prefix.js';
export { matchKeywords, type KeywordMatch } from './keyword-fallback.js';
export { DecisionLog } from './decision-log.js';
export { RoutingSpace, type RoutingSpaceOptions } from './space.js';
