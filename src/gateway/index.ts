export { type ClientOptions, GatewayClient, GatewayRequestError } from './client.js';
export type { RouteFeedbackParams } from './frames.js';
export { CloseCodes, errorShape, PROTOCOL_VERSION } from './frames.js';
export type { Phase } from './http.js';
export { type MethodHandlers, methodTable } from './methods/registry.js';
export type { MethodSpec, MethodTable } from './methods/types.js';
export type { UsageStatusParams } from './methods/usage.js';
export { type GatewayOptions, GatewayServer, type ModelApiHandler } from './server.js';
