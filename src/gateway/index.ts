export { GatewayServer, type GatewayOptions } from './server.js';
export { GatewayClient, GatewayRequestError, type ClientOptions } from './client.js';
export { openclawMethods } from './methods/openclaw.js';
export { routeMethods } from './methods/route.js';
export type { MethodTable, MethodSpec } from './methods/types.js';
export type { Phase } from './http.js';
export { PROTOCOL_VERSION, CloseCodes, errorShape } from './frames.js';
export { learningMethods, type LearningHandlers } from './methods/learning.js';
export type { RouteFeedbackParams } from './frames.js';
