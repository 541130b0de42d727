export { Daemon, type DaemonOptions, VERSION } from './daemon/index.js';
export { GatewayClient, GatewayRequestError } from './gateway/index.js';
export { Router, type RouteDecision } from './routing/index.js';
export { LocalEmbedder } from './embedding/index.js';
export { loadConfig, type Config } from './config/index.js';
export { SrdError, ErrorTable, type SrdErrorCode } from './errors.js';
