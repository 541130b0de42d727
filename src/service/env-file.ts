import { SrdError } from '../errors.js';
import { MANAGED_MARKER } from './paths.js';

/**
 * The service env file `<stateDir>/service.env` (mode 0600): the one place the service's secrets
 * live. systemd reads it through `EnvironmentFile=`; on macOS the wrapper sources it with `set -a`,
 * as OpenClaw's LaunchAgent does (protocol reference §8). Lines are `KEY='value'`, a form both
 * systemd and sh read the same way (no escapes inside single quotes, hence no `'` in values).
 */

/** Variable the daemon reads its gateway token from (config/load.ts). */
export const TOKEN_VARIABLE = 'SMART_ROUTERD_TOKEN';

const HEADER = [
  `# ${MANAGED_MARKER}. Environment of the smart-routerd service. Keep this file mode 0600.`,
  "# One KEY='value' per line, read by systemd's EnvironmentFile= (Linux) and by the launchd wrapper (macOS).",
  '# `smart-routerd install --token <t>` manages SMART_ROUTERD_TOKEN; other lines you add are kept.',
];

const TOKEN_LINE = new RegExp(`^\\s*(export\\s+)?${TOKEN_VARIABLE}=`);

/**
 * Checks a `--token` for the service. Throws SRD_ERR_CONFIG_INVALID (`--token: …`) when it is
 * shorter than 8 characters (the config schema's minimum, so the daemon would exit 78), or holds
 * a single quote or a control character (neither survives the env file's quoting).
 */
export function assertServiceToken(token: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a token with a control character (U+0000-U+001F, U+007F) cannot survive the env file's single-quoted value, so it is refused
  if (token.length < 8 || token.includes("'") || /[\u0000-\u001f\u007f]/.test(token)) {
    throw new SrdError('SRD_ERR_CONFIG_INVALID', "--token: expected at least 8 characters without quotes (') or control characters", {
      details: { problems: ['--token: expected at least 8 characters without quotes or control characters'] },
    });
  }
}

/**
 * The env file's next content. No file yet: the header plus the token line (if any). An existing
 * file is kept as it is when `token` is undefined; otherwise its SMART_ROUTERD_TOKEN line is
 * replaced and every other line kept.
 */
export function nextEnvFile(existing: string | null, token: string | undefined): string {
  const tokenLine = token === undefined ? [] : [`${TOKEN_VARIABLE}='${token}'`];
  if (existing === null) return `${[...HEADER, ...tokenLine].join('\n')}\n`;
  if (token === undefined) return existing;
  const kept = existing.split('\n').filter((line) => !TOKEN_LINE.test(line));
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  return `${[...kept, ...tokenLine].join('\n')}\n`;
}

/** True when the env file assigns SMART_ROUTERD_TOKEN a non-empty value. */
export function envFileHasToken(content: string | null): boolean {
  if (content === null) return false;
  return content.split('\n').some((line) => TOKEN_LINE.test(line) && !/=\s*(''|"")?\s*$/.test(line));
}

/** The env file with every value replaced by `<redacted>`, for --dry-run output. */
export function redactEnvFile(content: string): string {
  return content.replace(/^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=).*$/gm, '$1<redacted>');
}
