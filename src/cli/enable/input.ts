import type { Config } from '../../config/index.js';
import { SrdError } from '../../errors.js';
import type { EnableFlags } from '../enable.js';
import type { Prompter } from '../prompts.js';

/** Where each setting of `enable` comes from: its flag, else the user's answer (`ask` set), else the current config. */
export interface ChoiceSources {
  flags: EnableFlags;
  /** Absent: never ask (a required value that no flag gives is an error). */
  ask: Prompter | undefined;
  /** The config in the file now, or the defaults when that file is invalid. */
  current: Config;
  env: NodeJS.ProcessEnv;
  /** Reads the key for --api-key-stdin (default: all of process.stdin). */
  readStdin: (() => Promise<string>) | undefined;
}

/** SRD_ERR_ENABLE_INPUT: a value given to (or asked by) `enable` is missing, invalid or conflicting. */
export function inputError(message: string): SrdError {
  return new SrdError('SRD_ERR_ENABLE_INPUT', message);
}
