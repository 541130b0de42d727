// The intent and tier vocabulary lives at the root of src/ (like errors.ts) because user memory
// records intents and tiers too; routing re-exports it for its own modules.
export * from '../intents.js';
