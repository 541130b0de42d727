import { existsSync } from 'node:fs';
import { SrdError } from '../errors.js';
import { type Command, exitStatusText, type ServiceBackend, type ServiceState } from './backend.js';
import { nextEnvFile } from './env-file.js';
import type { PlannedFile } from './files.js';
import { gatewayLookalikeReason, type InspectedService } from './openclaw-lookalike.js';
import { type ServicePaths, UNIT_NAME } from './paths.js';
import { daemonArgv, fillTemplate, readTemplate, type ServiceSpec, servicePath } from './spec.js';
import { assertPrintable, environmentLine, escapeSpecifiers, execLine, splitUnitWords } from './systemd-quote.js';

/** The unit template inside the package. */
export const UNIT_TEMPLATE = 'systemd/smart-routerd.service';

const SYSTEMCTL = 'systemctl';
const user = (...args: string[]): string[] => [SYSTEMCTL, '--user', ...args];

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

function sorted(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
}

/** Parses `systemctl show` output (`Key=value` lines). */
export function parseShow(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

/**
 * The systemd user-manager backend (`systemctl --user`, Linux). `root` is the package whose
 * template is rendered; the lingering check uses `host.user`.
 */
export function systemdBackend(paths: ServicePaths, root: string): ServiceBackend {
  return {
    manager: 'systemd',
    paths,
    definitionPath: paths.unitFile,
    directories: [],

    render(spec, existingEnv): PlannedFile[] {
      return [
        { path: paths.unitFile, role: 'definition', mode: 0o644, content: renderUnit(readTemplate(root, UNIT_TEMPLATE), spec, paths) },
        { path: paths.envFile, role: 'env', mode: 0o600, dirMode: 0o700, secret: true, content: nextEnvFile(existingEnv, spec.token) },
      ];
    },

    async detect(host, exec) {
      const r = await exec({ argv: user('show', '--property=Version'), tolerate: true });
      if (r.code === 0 && /^Version=/m.test(r.stdout)) return;
      const why =
        r.code === 127
          ? 'systemctl is not installed'
          : `\`systemctl --user\` cannot reach a systemd user manager (${r.stderr.trim().split('\n')[0] || `exit code ${r.code}`})`;
      const runtime = host.env.XDG_RUNTIME_DIR
        ? ''
        : ` If this is a login without a session bus, try: export XDG_RUNTIME_DIR=/run/user/${host.uid}, then run install again.`;
      throw unsupported(`${why}.${r.code === 127 ? '' : runtime}`);
    },

    async query(_host, exec): Promise<ServiceState> {
      const r = await exec({
        argv: user('show', UNIT_NAME, '--property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,Result,ExecMainStatus'),
        tolerate: true,
      });
      const p = parseShow(r.stdout);
      const active = ['active', 'activating', 'reloading'].includes(p.ActiveState ?? '');
      const pid = Number(p.MainPID ?? 0);

      return {
        installed: existsSync(paths.unitFile),
        loaded: p.LoadState === 'loaded',
        active,
        enabled: p.UnitFileState === 'enabled',
        ...(pid > 0 ? { pid } : {}),
        ...(p.NRestarts !== undefined && p.NRestarts !== '' ? { restarts: Number(p.NRestarts) } : {}),
        detail:
          p.ActiveState === 'failed'
            ? `failed (${p.Result ?? '?'}, exit status ${exitStatusText(p.ExecMainStatus ?? '?')})`
            : p.ActiveState
              ? `${p.ActiveState} (${p.SubState ?? '?'})`
              : 'unknown',
      };
    },

    installCommands(state, changed): Command[] {
      const out: Command[] = [];
      if (changed || !state.loaded) out.push({ argv: user('daemon-reload') });
      if (changed || !state.enabled || !state.active) out.push({ argv: user('enable', '--now', UNIT_NAME) });
      // enable --now leaves a running old process alone; the new unit only applies after a restart.
      if (changed && state.active) out.push({ argv: user('restart', UNIT_NAME) });
      return out;
    },

    removeCommands(state): Command[] {
      if (state.installed) return [{ argv: user('disable', '--now', UNIT_NAME), tolerate: true }];
      return state.active ? [{ argv: user('stop', UNIT_NAME), tolerate: true }] : [];
    },

    afterRemoveCommands(): Command[] {
      return [{ argv: user('daemon-reload') }, { argv: user('reset-failed', UNIT_NAME), tolerate: true }];
    },

    // reset-failed first: after StartLimitBurst restarts systemd refuses even manual starts until it.
    startCommands: () => [{ argv: user('reset-failed', UNIT_NAME), tolerate: true }, { argv: user('start', UNIT_NAME) }],
    stopCommands: () => [{ argv: user('stop', UNIT_NAME) }],
    restartCommands: () => [{ argv: user('reset-failed', UNIT_NAME), tolerate: true }, { argv: user('restart', UNIT_NAME) }],

    logsCommand(lines, follow): Command {
      return { argv: ['journalctl', '--user', '-u', UNIT_NAME, '-n', String(lines), '--no-pager', '-o', 'cat', ...(follow ? ['-f'] : [])] };
    },

    installedPort(definition) {
      const args = inspectUnit(definition).programArguments;
      const i = args.indexOf('--port');
      const port = i >= 0 ? Number(args[i + 1]) : NaN;
      return Number.isInteger(port) && port > 0 ? port : null;
    },

    async hints(host, exec) {
      // Without lingering the user manager (and the router) stops at logout (protocol reference §5 "Lingering").
      const r = await exec({ argv: ['loginctl', 'show-user', host.user, '--property=Linger'], tolerate: true });
      if (r.code === 0 && /^Linger=no$/m.test(r.stdout)) {
        return [
          `lingering is off for ${host.user}: the service stops when you log out and starts at your next login; to keep it running, run: sudo loginctl enable-linger ${host.user}`,
        ];
      }
      return [];
    },
  };
}

/** SRD_ERR_SERVICE_UNSUPPORTED with the foreground alternative (OpenClaw: "No supported service manager detected"). */
export function unsupported(why: string): SrdError {
  return new SrdError(
    'SRD_ERR_SERVICE_UNSUPPORTED',
    `No supported service manager detected: ${why} Run the daemon in the foreground instead: smart-routerd start ` +
      '(under tmux/screen, or from your own supervisor such as a container entrypoint or runit).',
  );
}
