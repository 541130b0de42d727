import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { SrdError } from '../errors.js';
import { type Config, ConfigSchema, RENAMED_KEYS } from './schema.js';

/** Where the configuration and state live, after flags and environment were applied. */
export interface ConfigPaths {
  /** Directory for the token, user memory, built DNA (default ~/.openclaw/smart-router). */
  stateDir: string;
  /** The config file read (default <stateDir>/config.json). */
  configPath: string;
  /** Whether configPath existed when loaded. */
  configExists: boolean;
}

/** Command-line overrides; each wins over the environment and the file (DESIGN.md §8). */
export interface ConfigFlags {
  config?: string | undefined;
  stateDir?: string | undefined;
  port?: number | string | undefined;
  bind?: string | undefined;
  token?: string | undefined;
  logLevel?: string | undefined;
}

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  config: Config;
  paths: ConfigPaths;
  /**
   * Where set values came from, by JSON path (`gateway.port`): `flag --port`, `env SMART_ROUTERD_PORT`
   * or `file`; a path absent here has its default (issue 21's Settings view).
   */
  sources?: Record<string, string>;
}

/** Default state directory: ~/.openclaw/smart-router (Smart Router doc: config directory). */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.HOME ?? os.homedir(), '.openclaw', 'smart-router');
}

/**
 * Resolves the state dir and config path: flag > SMART_ROUTERD_* env > default.
 * `~` at the start of a path means the home directory.
 */
export function resolvePaths(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Omit<ConfigPaths, 'configExists'> {
  const home = env.HOME ?? os.homedir();
  const expand = (p: string) => path.resolve(p.startsWith('~/') || p === '~' ? path.join(home, p.slice(1)) : p);
  const stateDir = expand(flags.stateDir ?? (env.SMART_ROUTERD_STATE_DIR || defaultStateDir(env)));
  const configPath = expand(flags.config ?? (env.SMART_ROUTERD_CONFIG || path.join(stateDir, 'config.json')));
  return { stateDir, configPath };
}

/**
 * Loads, merges and validates the configuration. Precedence: flags > env (SMART_ROUTERD_PORT,
 * _BIND, _TOKEN, _LOG_LEVEL) > file > defaults. A missing default file means defaults; a missing
 * file named by --config or SMART_ROUTERD_CONFIG is an error.
 * Throws SrdError SRD_ERR_CONFIG_UNREADABLE (unreadable / not JSON) or SRD_ERR_CONFIG_INVALID
 * (schema violations, every one listed with its JSON path, the expectation and the value found).
 */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const { stateDir, configPath } = resolvePaths(flags, env);
  const explicit = flags.config !== undefined || Boolean(env.SMART_ROUTERD_CONFIG);
  const configExists = existsSync(configPath);
  let raw: Record<string, unknown> = {};
  if (configExists) {
    raw = readConfigFile(configPath);
  } else if (explicit) {
    throw new SrdError('SRD_ERR_CONFIG_UNREADABLE', `${configPath}: config file not found`, { details: { path: configPath } });
  }
  const overrides: Array<[string, unknown, string]> = [];
  const envPort = env.SMART_ROUTERD_PORT;
  if (envPort !== undefined && envPort !== '') overrides.push(['gateway.port', numeric(envPort), 'SMART_ROUTERD_PORT']);
  if (env.SMART_ROUTERD_BIND) overrides.push(['gateway.bind', env.SMART_ROUTERD_BIND, 'SMART_ROUTERD_BIND']);
  if (env.SMART_ROUTERD_TOKEN) overrides.push(['gateway.auth.token', env.SMART_ROUTERD_TOKEN, 'SMART_ROUTERD_TOKEN']);
  if (env.SMART_ROUTERD_LOG_LEVEL) overrides.push(['logging.level', env.SMART_ROUTERD_LOG_LEVEL, 'SMART_ROUTERD_LOG_LEVEL']);
  if (flags.port !== undefined) overrides.push(['gateway.port', numeric(flags.port), '--port']);
  if (flags.bind !== undefined) overrides.push(['gateway.bind', flags.bind, '--bind']);
  if (flags.token !== undefined) overrides.push(['gateway.auth.token', flags.token, '--token']);
  if (flags.logLevel !== undefined) overrides.push(['logging.level', flags.logLevel, '--log-level']);
  const sources: Record<string, string> = {};
  for (const leaf of leafPaths(raw)) sources[leaf] = 'file';
  for (const [key, , source] of overrides) sources[key] = source.startsWith('--') ? `flag ${source}` : `env ${source}`;
  const origin = new Map<string, string>();
  for (const [key, value, source] of overrides) {
    setPath(raw, key, value);
    origin.set(key, source);
  }
  const config = validateConfig(raw, configExists ? configPath : '(defaults)', origin);
  return { config, paths: { stateDir, configPath, configExists }, sources };
}

/** The JSON paths of an object's leaves (arrays are leaves): `{a: {b: 1}}` → `a.b`. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return prefix ? [prefix] : [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** Reads a config file as a JSON object. Throws SRD_ERR_CONFIG_UNREADABLE naming the file. */
export function readConfigFile(configPath: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    throw new SrdError('SRD_ERR_CONFIG_UNREADABLE', `${configPath}: cannot read config file: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SrdError('SRD_ERR_CONFIG_UNREADABLE', `${configPath}: config file is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SrdError('SRD_ERR_CONFIG_INVALID', `${configPath}: config file must hold a JSON object (got ${describe(parsed)})`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Validates a raw config object. `source` names the file in messages; `origin` maps a JSON path to
 * the flag or variable that set it. Throws SRD_ERR_CONFIG_INVALID with one line per problem, e.g.
 * `gateway.port: expected an integer ≤ 65535 (got 99999, from SMART_ROUTERD_PORT)`.
 */
export function validateConfig(raw: unknown, source: string, origin: Map<string, string> = new Map()): Config {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => formatIssue(issue, raw, origin));
  throw new SrdError('SRD_ERR_CONFIG_INVALID', `${source}: invalid configuration:\n  - ${problems.join('\n  - ')}`, {
    details: { problems },
  });
}

function formatIssue(issue: z.core.$ZodIssue, raw: unknown, origin: Map<string, string>): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const full = [...issue.path.map(String), key].join('.');
      // Own properties only: a key named `constructor`, `__proto__` or `toString` is unknown, not Object's (issue 15).
      const hint = Object.hasOwn(RENAMED_KEYS, full) ? RENAMED_KEYS[full] : undefined;
      return hint ? `${full}: unsupported key, use ${hint}` : `${full}: unknown key`;
    });
  }
  const where = issue.path.map(String).join('.') || '(root)';
  const value = getPath(raw, issue.path.map(String));
  const from = origin.get(where);
  // Secrets are never echoed back, even when malformed (DESIGN.md §8: API keys are never logged).
  const shown = SECRET_KEY.test(where) ? '[redacted]' : describe(value);
  const got = value === undefined ? '' : ` (got ${shown}${from ? `, from ${from}` : ''})`;
  return [`${where}: ${humanise(issue)}${got}`];
}

/** Config paths whose values are secrets. */
const SECRET_KEY = /(?:^|\.)(?:apiKey|token)$/;

function humanise(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
    case 'too_small':
      return `expected ${issue.origin === 'array' || issue.origin === 'string' ? 'length ' : ''}${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.origin === 'array' || issue.origin === 'string' ? 'length ' : ''}${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function numeric(value: number | string): number | string {
  if (typeof value === 'number') return value;
  return /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

function getPath(obj: unknown, keys: string[]): unknown {
  let cur: unknown = obj;
  for (const key of keys) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}
