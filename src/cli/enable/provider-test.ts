import { type Config, type RemoteProviderName, validateConfig } from '../../config/index.js';
import { createRemoteEmbedder, type ProbeResult, sendsDimensions } from '../../embedding/index.js';
import { isSrdError, SrdError } from '../../errors.js';
import type { EnableFlags } from '../enable.js';
import type { Prompter } from '../prompts.js';
import type { ChosenSettings } from './choices.js';
import { type ConfigFile, setVectorDim } from './config-file.js';
import { inputError } from './input.js';

/** The configuration after the provider test: validated, and the size it ends up with. */
export interface TestedConfig {
  config: Config;
  dims: number;
  /** The one real provider call; null when skipped (--no-test), failed, or provider local. */
  test: ProbeResult | null;
  /** For the user: test skipped, failed and written anyway, or the model's size adopted. */
  notes: string[];
}

/** What the provider test needs besides the file and its config. */
export interface TestOptions {
  flags: EnableFlags;
  ask: Prompter | undefined;
  configPath: string;
}

/**
 * Tests a remote provider with one real call unless --no-test, and adopts the size the model
 * returns into `next` (revalidated) when it differs and --dims did not fix it. `config` is `next`
 * validated. Throws SRD_ERR_EMBED_* when the call fails (unless the user, asked, writes anyway),
 * SRD_ERR_ENABLE_INPUT when the model's size contradicts --dims, SRD_ERR_CONFIG_INVALID.
 */
export async function testProvider(next: ConfigFile, config: Config, chosen: ChosenSettings, options: TestOptions): Promise<TestedConfig> {
  const untested = { config, dims: chosen.dims, test: null };
  if (chosen.provider === 'local') return { ...untested, notes: [] };
  if (options.flags.test === false) return { ...untested, notes: ['provider not tested (--no-test)'] };
  const test = await probeProvider(chosen.provider, config, options.ask);
  if ('failed' in test) return { ...untested, notes: [`the provider test failed (${test.failed}); written anyway`] };
  if (test.dims === chosen.dims) return { config, dims: chosen.dims, test, notes: [] };
  return adoptModelSize(next, config, chosen.dims, test, options);
}

/**
 * One real call with no retries, behind a spinner. Returns the model's answer, or why it failed
 * when the user chose to write the configuration anyway; throws the failure (as SrdError) otherwise.
 */
async function probeProvider(provider: RemoteProviderName, config: Config, ask: Prompter | undefined): Promise<ProbeResult | { failed: string }> {
  const spin = ask?.spinner();
  spin?.start(`Testing ${provider}/${config.memorySearch.model} with one real call`);
  const embedder = createRemoteEmbedder({ ...config, embedding: { ...config.embedding, maxRetries: 0 } });
  try {
    const test = await embedder.probe();
    spin?.stop(`${provider} answered: ${test.dims} dimensions in ${test.ms} ms`);
    return test;
  } catch (err) {
    spin?.error(`${provider} test failed`);
    const why = isSrdError(err) ? `${err.code}: ${err.message}` : String(err);
    if (ask && (await ask.confirm(`The provider test failed (${why}). Write the configuration anyway?`, false))) return { failed: why };
    throw new SrdError(
      isSrdError(err) ? err.code : 'SRD_ERR_EMBED_FAILED',
      `provider test failed, nothing was written: ${isSrdError(err) ? err.message : String(err)} (--no-test skips the test)`,
    );
  } finally {
    await embedder.close();
  }
}

/**
 * The model answered with another size than `dims`. It has a fixed size (it ignored or was not
 * sent `dimensions`): adopt it, so every vector is checked against it; unless --dims asked for
 * `dims`, which is then an SRD_ERR_ENABLE_INPUT naming the size to pass instead.
 */
function adoptModelSize(next: ConfigFile, config: Config, dims: number, test: ProbeResult, { flags, configPath }: TestOptions): TestedConfig {
  if (flags.dims !== undefined) {
    throw inputError(
      `the model returned ${test.dims} dimensions although ${dims} were asked for${sendsDimensions(config) ? '' : ' (it is not known to take `dimensions`)'}; run again with --dims ${test.dims}`,
    );
  }
  setVectorDim(next, test.dims, sendsDimensions(config));
  const adopted = validateConfig(next, configPath);
  return { config: adopted, dims: test.dims, test, notes: [`vectorStore.vectorDim set to ${test.dims}, the size ${adopted.memorySearch.model} returns`] };
}
