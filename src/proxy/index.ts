/**
 * The model API room (DESIGN.md §10): OpenAI- and Anthropic-compatible endpoints on the gateway
 * port, routing of `smart-routerd/auto`, sticky sessions, and protocol translation (translate/).
 */
export { ModelApi, type ModelApiOptions } from './server.js';
