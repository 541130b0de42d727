/** The routing room (DESIGN.md §2): the live decision pipeline of one embedding space. */

export type { DecisionSource, LearningEvent, RouteDecision } from './decision.js';
export { DecisionLog } from './decision-log.js';
export { INTENT_TIER, INTENTS, type Intent, isIntent, isTier, TIERS, type Tier } from './intents.js';
export { type KeywordMatch, matchKeywords } from './keyword-fallback.js';
export { matchPrefix, type PrefixMatch } from './prefix.js';
export { type DnaScanner, dnaScanner, type RouteOptions, Router, type RouterDeps } from './router.js';
export { RoutingSpace, type RoutingSpaceOptions } from './space.js';
