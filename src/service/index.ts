export type { CommandRecord, ServiceState } from './backend.js';
export { type ControlOptions, controlService, serviceStatus, showLogs } from './control.js';
export { assertServiceToken, envFileHasToken, TOKEN_VARIABLE } from './env-file.js';
export { type Runner, type RunResult, type ServiceHost, spawnRunner, systemHost } from './host.js';
export {
  assertPurgeable,
  DEFAULT_READY_TIMEOUT_MS,
  type InstallOptions,
  installService,
  selectBackend,
  type UninstallOptions,
  uninstallService,
} from './install.js';
export { launchdArgv, PLIST_TEMPLATE, parsePlist, REQUIRED_PLIST_KEYS, renderPlist, WRAPPER_TEMPLATE } from './launchd.js';
export { gatewayLookalikeReason, type InspectedService, OPENCLAW_COMMAND_MARKERS, OPENCLAW_SERVICE_ENV_KEYS } from './openclaw-lookalike.js';
export { cliEntry, ENV_FILE, LAUNCHD_LABEL, MANAGED_MARKER, packageRoot, type ServicePaths, servicePaths, UNIT_NAME, WRAPPER_FILE } from './paths.js';
export { httpProbe, type ReadinessProbe, type ReadyResult, readyzUrl } from './readiness.js';
export { formatReport, type ServiceAction, type ServiceReport } from './report.js';
export { daemonArgv, readTemplate, type ServiceSpec, servicePath } from './spec.js';
export { inspectUnit, renderUnit, UNIT_TEMPLATE } from './systemd.js';
export { environmentLine, execLine, splitUnitWords } from './systemd-quote.js';
