export { type Config, loadConfig } from './config/index.js';
export { Daemon, type DaemonOptions, VERSION } from './daemon/index.js';
export { LocalEmbedder } from './embedding/index.js';
export { ErrorTable, SrdError, type SrdErrorCode } from './errors.js';
export { GatewayClient, GatewayRequestError } from './gateway/index.js';
export { type RouteDecision, Router } from './routing/index.js';
