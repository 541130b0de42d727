import { isSrdError } from '../errors.js';
import { type CommandRecord, type ServiceState, shellLine } from './backend.js';
import type { FileChange } from './files.js';

/** The service commands. `status` is `smart-routerd service status`. */
export type ServiceAction = 'install' | 'uninstall' | 'start' | 'stop' | 'restart' | 'status';

/**
 * What a service command did: the `--json` output and the source of the text output. `ok:false`
 * carries `error` (message) and `code` (SRD_ERR_*); the shape starts like OpenClaw's
 * `{"action":"install","ok":false,"error":…}` (protocol reference §8).
 */
export interface ServiceReport {
  action: ServiceAction;
  ok: boolean;
  error?: string;
  code?: string;
  /** systemd or launchd; null when none was found. */
  manager: 'systemd' | 'launchd' | null;
  dryRun: boolean;
  /** Any file or the manager's state was changed. */
  changed: boolean;
  /** One sentence for humans. */
  summary: string;
  /** Files written, kept or removed (with --dry-run, what would happen, and non-secret contents). */
  files: FileChange[];
  /** Directories created (install) or deleted (uninstall --purge). */
  directories: string[];
  /** Every command run, in order, with its exit code (with --dry-run: the plan, without codes). */
  commands: CommandRecord[];
  state?: ServiceState;
  /** The /readyz URL probed. */
  url?: string;
  ready?: boolean;
  hints: string[];
  warnings: string[];
}

/** A fresh report for `action`. */
export function newReport(action: ServiceAction, manager: ServiceReport['manager'], dryRun = false): ServiceReport {
  return { action, ok: true, manager, dryRun, changed: false, summary: '', files: [], directories: [], commands: [], hints: [], warnings: [] };
}

/** Marks `report` failed with an SrdError's code and message; anything else is rethrown. */
export function failReport(report: ServiceReport, err: unknown): ServiceReport {
  if (!isSrdError(err)) throw err;
  report.ok = false;
  report.error = err.message;
  report.code = err.code;
  if (!report.summary) report.summary = `${report.action} failed`;
  return report;
}

const WOULD: Record<string, string> = {
  created: 'would create',
  updated: 'would update',
  replaced: 'would replace',
  unchanged: 'unchanged',
  removed: 'would remove',
  absent: 'absent',
};

/** The text output of a service command: summary, files, commands, readiness, hints, warnings, error. */
export function formatReport(r: ServiceReport): string {
  const out: string[] = [r.summary];
  for (const f of r.files) {
    const status = r.dryRun ? (WOULD[f.status] ?? f.status) : f.status;
    out.push(`  ${status.padEnd(13)} ${f.path} (${f.mode})`);
    if (f.content !== undefined) out.push(`  ----- ${f.path} -----`, f.content.replace(/\n$/, ''), '  -----');
  }
  for (const d of r.directories) out.push(`  ${(r.action === 'uninstall' ? (r.dryRun ? 'would delete' : 'deleted') : 'directory').padEnd(13)} ${d}`);
  if (r.commands.length > 0) {
    out.push(r.dryRun ? '  commands it would run:' : '  commands:');
    for (const c of r.commands)
      out.push(`    $ ${shellLine(c.argv)}${c.code === undefined || c.code === 0 ? '' : `   # exit ${c.code}${c.stderr ? `: ${c.stderr}` : ''}`}`);
  }
  if (r.url) out.push(`  readiness:    ${r.url} ${r.ready ? '→ 200 ready' : '→ not ready'}`);
  for (const h of r.hints) out.push(`  hint: ${h}`);
  for (const w of r.warnings) out.push(`  warning: ${w}`);
  if (!r.ok && r.error) out.push(`error: ${r.error}`);
  return `${out.join('\n')}\n`;
}
