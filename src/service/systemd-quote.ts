import { SrdError } from '../errors.js';

/**
 * Quoting for systemd unit values (systemd.service(5) "Command lines", systemd.exec(5)
 * "Environment=", systemd.unit(5) "Specifiers"), the same rules OpenClaw's unit writer follows
 * (protocol reference §8: "Values with spaces are double-quoted, `%`→`%%`").
 */

/**
 * Throws SRD_ERR_SERVICE_RENDER when `value` holds a control character: a newline would end the
 * directive and smuggle in another one, and no quoting makes that safe. `what` names the value.
 */
export function assertPrintable(value: string, what: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters (U+0000-U+001F, U+007F) are what this check rejects: a newline would end the directive, and no systemd quoting makes them safe
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new SrdError(
      'SRD_ERR_SERVICE_RENDER',
      `${what} contains a control character (newline, tab, ...), which a service file cannot hold: ${JSON.stringify(value)}`,
      {
        details: { what },
      },
    );
  }
}

/** `%` → `%%`: systemd expands `%h`, `%u`, ... in ExecStart=, Environment= and EnvironmentFile=. */
export function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, '%%');
}

function doubleQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * One ExecStart= argument after the executable: `%` → `%%`, `$` → `$$` (ExecStart expands `$VAR`
 * in arguments), then double-quoted
 * with `\\`/`\"` escapes when it is empty or holds whitespace, a quote, a backslash or `;`.
 */
export function execWord(word: string): string {
  assertPrintable(word, 'ExecStart argument');
  const escaped = escapeSpecifiers(word).replace(/\$/g, '$$$$');
  return escaped === '' || /[\s"'\\;]/.test(escaped) ? doubleQuote(escaped) : escaped;
}

/**
 * A whole ExecStart= value from argv. argv[0] is the executable: systemd does not expand `$` in
 * it (so `$` stays single) and refuses quotes and backslashes in it outright ("Executable name
 * contains special characters", systemd 252 load-fragment.c), so those throw
 * SRD_ERR_SERVICE_RENDER here instead of producing a unit systemd ignores.
 */
export function execLine(argv: readonly string[]): string {
  const [exe, ...args] = argv;
  assertPrintable(exe ?? '', 'the executable path');
  if (!exe?.startsWith('/') || /["'\\]/.test(exe)) {
    throw new SrdError(
      'SRD_ERR_SERVICE_RENDER',
      `systemd cannot run ${JSON.stringify(exe)}: the executable path must be absolute and free of quotes and backslashes; pass --node <such a path>`,
    );
  }
  const first = escapeSpecifiers(exe);
  return [/\s/.test(first) ? doubleQuote(first) : first, ...args.map(execWord)].join(' ');
}

/**
 * One `Environment=` line. The assignment is quoted as a whole when the value holds whitespace,
 * a quote or a backslash (systemd.exec(5)); `%` is doubled. Throws SRD_ERR_SERVICE_RENDER for a
 * key that is not a POSIX variable name or a value with control characters.
 */
export function environmentLine(key: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new SrdError('SRD_ERR_SERVICE_RENDER', `invalid environment variable name ${JSON.stringify(key)}`);
  assertPrintable(value, `environment variable ${key}`);
  const assignment = escapeSpecifiers(`${key}=${value}`);
  return `Environment=${/[\s"'\\]/.test(assignment) ? doubleQuote(assignment) : assignment}`;
}

/**
 * Splits an ExecStart= or Environment= value into words the way systemd does for the subset this
 * module writes: whitespace separates, "…" and '…' group, backslash escapes, `%%` → `%`, and for
 * ExecStart (`dollars`) `$$` → `$` in the arguments after the executable. Used to check what
 * systemd will actually run.
 */
export function splitUnitWords(value: string, options: { dollars?: boolean } = {}): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const next = value[i + 1];
    if (ch === '%' && next === '%') {
      cur += '%';
      inWord = true;
      i++;
    } else if (options.dollars && words.length > 0 && ch === '$' && next === '$') {
      cur += '$';
      inWord = true;
      i++;
    } else if (ch === '\\' && next !== undefined && quote !== "'") {
      cur += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      inWord = true;
      i++;
    } else if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
