import { SrdError } from '../errors.js';
import { gatewayLookalikeReason, type InspectedService } from './openclaw-lookalike.js';
import type { ServicePaths } from './paths.js';
import { daemonArgv, fillTemplate, type ServiceSpec, servicePath } from './spec.js';
import { assertPrintable, environmentLine, escapeSpecifiers, execLine, splitUnitWords } from './systemd-quote.js';

/** The unit template inside the package. */
export const UNIT_TEMPLATE = 'systemd/smart-routerd.service';

/**
 * Renders the systemd user unit from `template` (systemd/smart-routerd.service): ExecStart
 * `<node> <pkg>/dist/cli/main.js start --port <port>`, a minimal `Environment=PATH=…`, the
 * spec's non-secret variables, `EnvironmentFile=-<stateDir>/service.env`. Values are quoted and
 * `%`-escaped (systemd-quote.ts). Throws SRD_ERR_SERVICE_RENDER for a value a unit cannot hold
 * or when the result would look like an OpenClaw gateway (openclaw-lookalike.ts).
 */
export function renderUnit(template: string, spec: ServiceSpec, paths: ServicePaths): string {
  const env: Record<string, string> = { PATH: servicePath(spec.nodePath, 'linux'), ...sorted(spec.environment) };
  assertPrintable(paths.envFile, 'the env file path');
  const text = fillTemplate(
    template,
    {
      VERSION: spec.version,
      EXEC_START: execLine(daemonArgv(spec)),
      ENVIRONMENT: Object.entries(env)
        .map(([k, v]) => environmentLine(k, v))
        .join('\n'),
      ENVIRONMENT_FILE: escapeSpecifiers(paths.envFile),
    },
    UNIT_TEMPLATE,
  );
  const reason = gatewayLookalikeReason(inspectUnit(text));
  if (reason)
    throw new SrdError(
      'SRD_ERR_SERVICE_RENDER',
      `the unit would look like an extra OpenClaw gateway to \`openclaw gateway status --deep\` (${reason}); install from a path without that`,
    );
  return text;
}

/**
 * Reads a unit back the way systemd and OpenClaw's inspector see it: ExecStart= argv and the
 * Environment= variables (EnvironmentFile= contents are not inspected, by either).
 */
export function inspectUnit(text: string): InspectedService {
  let programArguments: string[] = [];
  const environment: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z]+)=(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'ExecStart') programArguments = splitUnitWords(m[2]!, { dollars: true });
    if (m[1] === 'Environment') {
      for (const word of splitUnitWords(m[2]!)) {
        const eq = word.indexOf('=');
        if (eq > 0) environment[word.slice(0, eq)] = word.slice(eq + 1);
      }
    }
  }
  return { programArguments, environment };
}

/** The `--port` the unit's ExecStart passes to the daemon, or null. */
export function unitPort(definition: string): number | null {
  const args = inspectUnit(definition).programArguments;
  const i = args.indexOf('--port');
  const port = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isInteger(port) && port > 0 ? port : null;
}

function sorted(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
}
