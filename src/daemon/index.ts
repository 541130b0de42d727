export { Daemon, type DaemonOptions } from './daemon.js';
export { createLogger } from './logger.js';
export { VERSION } from './version.js';
