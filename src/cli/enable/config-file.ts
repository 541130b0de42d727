import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { type Config, readConfigFile, validateConfig } from '../../config/index.js';
import type { ChosenSettings } from './choices.js';

/** config.json as `enable` writes it: the user's file with the chosen settings in it. */
export type ConfigFile = Record<string, unknown> & { memorySearch: Record<string, unknown> };

/** The file's JSON object, or {} when there is no file. Throws what readConfigFile throws. */
export function readRaw(configPath: string): Record<string, unknown> {
  return existsSync(configPath) ? readConfigFile(configPath) : {};
}

/** The file's config when valid, else the defaults (enable is how a broken provider setup gets fixed). */
export function currentConfig(raw: Record<string, unknown>, configPath: string): Config {
  try {
    return validateConfig(raw, configPath);
  } catch {
    return validateConfig({}, '(defaults)');
  }
}

/**
 * The new file: `raw` with `enabled: true` and the chosen settings; keys the user set by hand stay,
 * a default model no longer in its tier's list goes. vectorStore.vectorDim is written when the file
 * has a vectorStore, the size changed, or `dimsGiven` (--dims). Not validated.
 */
export function nextConfigFile(raw: Record<string, unknown>, current: Config, chosen: ChosenSettings, dimsGiven: boolean): ConfigFile {
  const next: ConfigFile = { ...structuredClone(raw), enabled: true, memorySearch: memorySection(raw, chosen) };
  if (obj(raw.vectorStore) || chosen.dims !== current.vectorStore.vectorDim || dimsGiven)
    next.vectorStore = { ...(obj(raw.vectorStore) ?? {}), vectorDim: chosen.dims };
  next.lightweightModels = chosen.lightweight;
  next.flagshipModels = chosen.flagship;
  if (typeof next.defaultLightweightModel === 'string' && !chosen.lightweight.includes(next.defaultLightweightModel)) delete next.defaultLightweightModel;
  if (typeof next.defaultFlagshipModel === 'string' && !chosen.flagship.includes(next.defaultFlagshipModel)) delete next.defaultFlagshipModel;
  return next;
}

/** The file's memorySearch with the chosen provider, fallback, model, base URL and key; what the choice leaves unset is removed. */
function memorySection(raw: Record<string, unknown>, chosen: ChosenSettings): Record<string, unknown> {
  const rawMemory = obj(raw.memorySearch) ?? {};
  const memory: Record<string, unknown> = { ...rawMemory, provider: chosen.provider, fallback: chosen.fallback };
  const remote: Record<string, unknown> = { ...(obj(rawMemory.remote) ?? {}) };
  if (chosen.remote === null) delete memory.model;
  else {
    memory.model = chosen.remote.model;
    if (chosen.remote.baseUrl !== undefined) remote.baseUrl = chosen.remote.baseUrl;
    else delete remote.baseUrl;
    if (chosen.remote.apiKey !== undefined) remote.apiKey = chosen.remote.apiKey;
    else delete remote.apiKey;
  }
  if (Object.keys(remote).length > 0) memory.remote = remote;
  else delete memory.remote;
  return memory;
}

/** Sets vectorStore.vectorDim to `dims` and, with `neverSendDimensions`, memorySearch.remote.sendDimensions to "never". */
export function setVectorDim(next: ConfigFile, dims: number, neverSendDimensions: boolean): void {
  next.vectorStore = { ...(obj(next.vectorStore) ?? {}), vectorDim: dims };
  if (neverSendDimensions) next.memorySearch.remote = { ...(obj(next.memorySearch.remote) ?? {}), sendDimensions: 'never' };
}

/** Writes `file` to `configPath` atomically with mode 0600 (also over an existing file), creating its directory (0700). */
export async function writeConfigFile(configPath: string, file: Record<string, unknown>): Promise<void> {
  await mkdir(path.dirname(configPath), { recursive: true, mode: 0o700 });
  await writeFileAtomic(configPath, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(configPath, 0o600);
}

function obj(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
