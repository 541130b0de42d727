/**
 * smart-routerd's internal error codes (one table, STYLE §11). Every code names the wire
 * `ErrorCode` the gateway answers with when the error reaches a client, so `gateway/` maps
 * errors without string matching. docs/errors.md documents each code; a test keeps the two in step.
 */

/** Wire error codes of the OpenClaw gateway protocol (packages/gateway-protocol gateway-error-details.ts). */
export const WireErrorCodes = {
  INVALID_REQUEST: 'INVALID_REQUEST',
  FORBIDDEN: 'FORBIDDEN',
  UNAVAILABLE: 'UNAVAILABLE',
  NOT_PAIRED: 'NOT_PAIRED',
} as const;
export type WireErrorCode = (typeof WireErrorCodes)[keyof typeof WireErrorCodes];

/** Internal code → wire code and a one-line description (the "How to solve" lives in docs/errors.md). */
export const ErrorTable = {
  SRD_ERR_CONFIG_INVALID: { wire: 'INVALID_REQUEST', description: 'The configuration file or an override is invalid.' },
  SRD_ERR_CONFIG_UNREADABLE: { wire: 'UNAVAILABLE', description: 'The configuration file exists but cannot be read or is not JSON.' },
  SRD_ERR_BIND_REFUSED: { wire: 'UNAVAILABLE', description: 'A non-loopback bind address was requested without an auth token.' },
  SRD_ERR_TOKEN_WEAK: { wire: 'UNAVAILABLE', description: 'A non-loopback bind address was requested with a weak auth token.' },
  SRD_ERR_TOKEN_FILE: { wire: 'UNAVAILABLE', description: 'The gateway token file is a symlink, not a regular file, or cannot be read.' },
  SRD_ERR_STATE_DIR_INSECURE: {
    wire: 'UNAVAILABLE',
    description: 'The state directory is a symlink, not a directory, writable by group or others, or cannot be created.',
  },
  SRD_ERR_VCTR_BAD_MAGIC: { wire: 'UNAVAILABLE', description: 'A vector file does not start with the VCTR magic bytes.' },
  SRD_ERR_VCTR_BAD_VERSION: { wire: 'UNAVAILABLE', description: 'A vector file has an unknown format version.' },
  SRD_ERR_VCTR_BAD_DTYPE: { wire: 'UNAVAILABLE', description: 'A vector file uses an unsupported element type.' },
  SRD_ERR_VCTR_TRUNCATED: { wire: 'UNAVAILABLE', description: 'A vector file is shorter than its header says.' },
  SRD_ERR_VCTR_BAD_OFFSETS: { wire: 'UNAVAILABLE', description: 'A vector file has offsets that point outside the file or overlap.' },
  SRD_ERR_VCTR_CRC_MISMATCH: { wire: 'UNAVAILABLE', description: 'A vector file failed its CRC-32 check.' },
  SRD_ERR_VCTR_BAD_METADATA: { wire: 'UNAVAILABLE', description: 'A vector file has metadata that is not the expected JSON.' },
  SRD_ERR_VCTR_DIMS_MISMATCH: { wire: 'UNAVAILABLE', description: 'A vector file has a different dimension than the configured embedder.' },
  SRD_ERR_DNA_MISSING: { wire: 'UNAVAILABLE', description: 'No DNA file was found for the configured embedding space.' },
  SRD_ERR_SEED_INVALID: { wire: 'INVALID_REQUEST', description: 'A DNA seed file has a line that is not a valid {text,label,lang} record.' },
  SRD_ERR_MODEL_CORRUPT: { wire: 'UNAVAILABLE', description: 'The intent classifier file cannot be read or fails its checks (magic, size, CRC-32, header).' },
  SRD_ERR_MODEL_MISMATCH: { wire: 'UNAVAILABLE', description: 'The intent classifier file was trained with another feature extractor or intent order.' },
  SRD_ERR_KERNEL_LOAD: { wire: 'UNAVAILABLE', description: 'The WebAssembly similarity kernel could not be loaded.' },
  SRD_ERR_EMBED_TIMEOUT: { wire: 'UNAVAILABLE', description: 'The embedding provider did not answer within embedding.timeoutMs.' },
  SRD_ERR_EMBED_FAILED: { wire: 'UNAVAILABLE', description: 'The embedding provider could not be reached or answered with an HTTP error.' },
  SRD_ERR_EMBED_AUTH: { wire: 'UNAVAILABLE', description: 'The embedding provider rejected the API key (HTTP 401 or 403); not retried.' },
  SRD_ERR_EMBED_RATE_LIMITED: { wire: 'UNAVAILABLE', description: 'The embedding provider answered 429 and its Retry-After did not fit the retry budget.' },
  SRD_ERR_EMBED_BAD_RESPONSE: {
    wire: 'UNAVAILABLE',
    description: 'The embedding provider answered with malformed JSON or vectors of the wrong size or with non-finite values.',
  },
  SRD_ERR_EMBED_UNAVAILABLE: {
    wire: 'UNAVAILABLE',
    description: 'The embedding provider circuit is open after repeated failures; calls fail at once until it is probed again.',
  },
  SRD_ERR_STATE_LOCKED: { wire: 'UNAVAILABLE', description: 'Another running smart-routerd owns the state directory.' },
  SRD_ERR_LEDGER: { wire: 'UNAVAILABLE', description: 'The usage ledger database cannot be opened (e.g. written by a newer smart-routerd).' },
  SRD_ERR_STORE_DOWN: {
    wire: 'UNAVAILABLE',
    description: "The cluster's PostgreSQL cannot be reached: learning and budgeted requests are refused (cluster.onStoreDown: fail).",
  },
  SRD_ERR_NOT_READY: { wire: 'UNAVAILABLE', description: 'The daemon is starting, reloading or draining.' },
  SRD_ERR_GATEWAY_CONNECT: { wire: 'UNAVAILABLE', description: 'The CLI could not connect to or authenticate with the daemon.' },
  SRD_ERR_GATEWAY_REQUEST: { wire: 'INVALID_REQUEST', description: 'The daemon answered a CLI request with an error.' },
  SRD_ERR_EVAL_INPUT: { wire: 'INVALID_REQUEST', description: 'An evaluation file line is not a valid {text,label,lang} record.' },
  SRD_ERR_MEMORY_IO: { wire: 'UNAVAILABLE', description: "The user-memory journal or snapshot could not be read, written or fsync'd." },
  SRD_ERR_MEMORY_CLOSED: { wire: 'UNAVAILABLE', description: 'The user-memory store is closed (the daemon is shutting down).' },
  SRD_ERR_MEMORY_JOURNAL_CORRUPT: {
    wire: 'UNAVAILABLE',
    description: 'Bytes of the user-memory journal failed their checks and were skipped and saved aside.',
  },
  SRD_ERR_MEMORY_SPACE_MISMATCH: { wire: 'UNAVAILABLE', description: 'User-memory data from another embedding space was set aside, never mixed in.' },
  SRD_ERR_PATCH_EMPTY: {
    wire: 'INVALID_REQUEST',
    description: 'A correction has no text to learn from (empty, whitespace or control characters only); nothing was stored.',
  },
  SRD_ERR_SERVICE_UNSUPPORTED: { wire: 'UNAVAILABLE', description: 'No supported service manager (systemd user manager or launchd) is reachable.' },
  SRD_ERR_SERVICE_FILE_CONFLICT: { wire: 'INVALID_REQUEST', description: 'A service file exists at the install path but was not written by smart-routerd.' },
  SRD_ERR_SERVICE_RENDER: {
    wire: 'INVALID_REQUEST',
    description: 'The service unit or plist could not be rendered from its template for these paths and values.',
  },
  SRD_ERR_SERVICE_COMMAND: { wire: 'UNAVAILABLE', description: 'A systemctl, launchctl or journalctl command failed.' },
  SRD_ERR_SERVICE_NOT_INSTALLED: { wire: 'UNAVAILABLE', description: 'The smart-routerd service is not installed.' },
  SRD_ERR_SERVICE_NOT_READY: { wire: 'UNAVAILABLE', description: 'The service was started but /readyz did not answer 200 in time.' },
  SRD_ERR_SERVICE_PORT_IN_USE: { wire: 'UNAVAILABLE', description: 'Another process already listens on the port the service would use.' },
  SRD_ERR_ENABLE_INPUT: {
    wire: 'INVALID_REQUEST',
    description: '`smart-routerd enable` lacks a value it cannot prompt for, got an invalid one, or was cancelled.',
  },
  SRD_ERR_SERVICE_CONFIRM: { wire: 'INVALID_REQUEST', description: 'A destructive service operation (uninstall --purge) was not confirmed.' },
} as const satisfies Record<string, { wire: WireErrorCode; description: string }>;

export type SrdErrorCode = keyof typeof ErrorTable;

/** An error with a stable `code` (match on it, never on the message) and the wire code it maps to. */
export class SrdError extends Error {
  readonly code: SrdErrorCode;
  readonly wire: WireErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: SrdErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SrdError';
    this.code = code;
    this.wire = ErrorTable[code].wire;
    this.details = options?.details;
  }
}

/**
 * Codes that mean "fix the configuration, the token or the state dir, then start again": the CLI
 * exits 78 (sysexits EX_CONFIG) on them, and OpenClaw's unit (RestartPreventExitStatus=78) and
 * smart-routerd's own service files do not restart-loop on that status.
 */
export function isConfigErrorCode(code: SrdErrorCode): boolean {
  return code.startsWith('SRD_ERR_CONFIG_') || CONFIG_CODES.has(code);
}

const CONFIG_CODES: ReadonlySet<SrdErrorCode> = new Set<SrdErrorCode>([
  'SRD_ERR_BIND_REFUSED',
  'SRD_ERR_TOKEN_WEAK',
  'SRD_ERR_TOKEN_FILE',
  'SRD_ERR_STATE_DIR_INSECURE',
]);

/** True when `err` is an SrdError with the given code. */
export function isSrdError(err: unknown, code?: SrdErrorCode): err is SrdError {
  return err instanceof SrdError && (code === undefined || err.code === code);
}
