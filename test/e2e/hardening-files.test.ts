import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../src/gateway/index.js';
import type { MemoryStats } from '../../src/memory/index.js';
import { CLI, type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { mulberry32 } from '../helpers/random.js';

// Issue 15, hardening of files, secrets and learning: every case runs the built CLI or a real
// daemon (dist/cli/main.js) on real files in a temp dir.

const scopes = ['operator.read', 'operator.write', 'operator.admin'];
const dirs: string[] = [];
let previousUmask: number;

beforeAll(() => {
  // The daemons below inherit this umask (vitest runs each file in its own process, pool: forks):
  // the usual one outside systemd, under which files are created 0644 unless asked otherwise.
  previousUmask = process.umask(0o022);
});
afterAll(() => {
  process.umask(previousUmask);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir (0700), removed after the suite. */
function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srd-harden-'));
  dirs.push(dir);
  return dir;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end; never rejects. `env` replaces the SMART_ROUTERD_* variables of this process. */
function cli(args: string[], env: Record<string, string>, options: { uid?: number; gid?: number } = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SMART_ROUTERD_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...base, SMART_ROUTERD_LOG_FORMAT: 'json', ...env }, timeout: 60_000, ...options },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}

/** `start` on port 0 against `stateDir`; for the cases that must fail before anything listens. */
function start(stateDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<CliResult> {
  return cli(['start', '--port', '0', ...args], { SMART_ROUTERD_STATE_DIR: stateDir, SMART_ROUTERD_TOKEN: '', ...env });
}

/** The error output is the one `smart-routerd: …` line, no stack trace. */
function expectOneLine(r: CliResult): void {
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^smart-routerd: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const mode = (p: string) => statSync(p).mode & 0o777;

/** Distinct random words per index, so no two corrections are near-duplicates compaction would merge. */
function distinctText(random: () => number, i: number): string {
  const letters = 'bcdfghjklmnpqrstvwxz';
  const word = () => Array.from({ length: 5 + Math.floor(random() * 5) }, () => letters[Math.floor(random() * letters.length)]).join('');
  return `${i} ${Array.from({ length: 7 }, word).join(' ')}`;
}

/** One JSON log line of the daemon (pino: level, msg, and the fields logged with it). */
type LogLine = { level: number; msg?: string; code?: string; [field: string]: unknown };

/** The daemon's JSON log lines (anything else it printed is skipped). */
function logLines(d: RunningDaemon): LogLine[] {
  return d.lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });
}

type Patch = { id: number; textHash: string; tier: string };
/** What identifies an exported patch (its decayed weight changes with the clock). */
const ids = (patches: Patch[]) => patches.map(({ id, textHash, tier }) => ({ id, textHash, tier }));

/** Polls memory.stats until `done` holds (a compaction runs in the background after the append that triggers it). */
async function statsWhen(c: GatewayClient, done: (s: MemoryStats) => boolean): Promise<MemoryStats> {
  for (;;) {
    const s = await c.request<MemoryStats>('memory.stats', {});
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('state dir trust', () => {
  it('refuses a world-writable state dir at start with exit 78, naming the dir and `chmod 700`, and writes nothing into it', async () => {
    const dir = path.join(scratch(), 'state');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = await start(dir);
    expect(r.code).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain(`${dir}: the state dir is writable by group and others (mode 0777)`);
    expect(r.stderr).toContain(`chmod 700 ${dir}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a group-writable state dir also when the token is configured (nothing else reads the dir first)', async () => {
    const dir = path.join(scratch(), 'state');
    mkdirSync(dir);
    chmodSync(dir, 0o770);
    const r = await start(dir, { SMART_ROUTERD_TOKEN: 'test-token-0123456789' });
    expect(r.code).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain(`${dir}: the state dir is writable by its group (mode 0770)`);
    expect(r.stderr).toContain(`chmod 700 ${dir}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a state dir that is a symlink, even to a private directory', async () => {
    const root = scratch();
    const real = path.join(root, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = path.join(root, 'link');
    symlinkSync(real, link);
    const r = await start(link);
    expect(r.code).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain(`${link}: the state dir is a symlink (to ${real})`);
    expect(r.stderr).toContain('--state-dir');
    expect(readdirSync(real)).toEqual([]);
  });

  it('creates a missing state dir 0700 and its token file 0600 under umask 022', async () => {
    const dir = path.join(scratch(), 'nested', 'state');
    const daemon = await startDaemon({ stateDir: dir, env: { SMART_ROUTERD_TOKEN: '' } });
    try {
      expect(mode(dir)).toBe(0o700);
      expect(mode(path.join(dir, 'gateway.token'))).toBe(0o600);
    } finally {
      await daemon.stop();
    }
  });
});

describe('the gateway token file', () => {
  it('is never read through a symlink, nor its target chmod-ed: exit 78 naming the file and the fix', async () => {
    const dir = scratch();
    const target = path.join(scratch(), 'elsewhere.txt');
    writeFileSync(target, 'a-perfectly-good-token-from-elsewhere\n');
    chmodSync(target, 0o644);
    const file = path.join(dir, 'gateway.token');
    symlinkSync(target, file);
    const r = await start(dir);
    expect(r.code).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain(`${file}: the gateway token file is a symlink`);
    expect(r.stderr).toMatch(/replace the link with the file itself .*or delete it so a new token is generated/);
    expect(mode(target)).toBe(0o644);
    expect(readFileSync(target, 'utf8')).toBe('a-perfectly-good-token-from-elsewhere\n');
  });

  it('refuses a dangling symlink too, instead of creating its target', async () => {
    const dir = scratch();
    const target = path.join(scratch(), 'not-yet');
    const file = path.join(dir, 'gateway.token');
    symlinkSync(target, file);
    const r = await start(dir);
    expect(r.code).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain(`${file}: the gateway token file is a symlink`);
    expect(() => statSync(target)).toThrow(/ENOENT/);
  });

  it('exits 78 with one line when the token path is a directory', async () => {
    const dir = scratch();
    mkdirSync(path.join(dir, 'gateway.token'));
    const r = await start(dir);
    expect(r.code).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain(`${path.join(dir, 'gateway.token')}: the gateway token path is a directory, not a file`);
    expect(r.stderr).toContain('rmdir');
  });

  it('exits 78 with one line when the token file cannot be read (EACCES)', async (ctx) => {
    const dir = scratch();
    const file = path.join(dir, 'gateway.token');
    writeFileSync(file, 'root-only-token-0123456789abcdef\n', { mode: 0o600 });
    let asUser: { uid?: number; gid?: number } = {};
    if (process.getuid?.() === 0) {
      // root reads any file: run the daemon as `nobody`, owning the state dir but not the token file.
      chownSync(dir, 65534, 65534);
      asUser = { uid: 65534, gid: 65534 };
    } else {
      chmodSync(file, 0o000);
    }
    const r = await cli(['start', '--port', '0'], { SMART_ROUTERD_STATE_DIR: dir, SMART_ROUTERD_TOKEN: '', HOME: dir }, asUser);
    if (r.code !== 78 && /EPERM|setuid|setgid/i.test(r.stderr)) ctx.skip(true, 'cannot run a child as another user here');
    expect(r.code, r.stderr).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain(`${file}: cannot read the gateway token file (EACCES`);
  });
});

describe('token strength off loopback', () => {
  const RULE = 'at least 16 characters, no whitespace, at least 8 distinct characters';

  it('refuses whitespace-only, short and trivially weak tokens on --bind 0.0.0.0, saying what a strong token is and how to make one', async () => {
    const dir = scratch();
    const cases: Array<[string, string]> = [
      ['        ', 'it is only whitespace'],
      ['aaaaaaaa', 'it has 8 characters'],
      ['correct horse battery staple', 'it contains whitespace'],
      ['abababababababababab', 'it has only 2 distinct characters'],
    ];
    const results = await Promise.all(cases.map(([token]) => start(dir, { SMART_ROUTERD_TOKEN: token }, ['--bind', '0.0.0.0'])));
    results.forEach((r, i) => {
      const [token, reason] = cases[i]!;
      expect(r.code, JSON.stringify(token)).toBe(78);
      expectOneLine(r);
      expect(r.stderr).toContain(`refusing to bind 0.0.0.0 with a weak auth token (${reason})`);
      expect(r.stderr).toContain(RULE);
      expect(r.stderr).toContain('openssl rand -hex 24');
      if (token.trim() !== '') expect(r.stderr).not.toContain(token);
    });
  });

  it('applies the rule to gateway.bind and gateway.auth.token from config.json', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ gateway: { bind: '0.0.0.0', auth: { token: 'aaaaaaaa' } } }));
    const r = await start(dir);
    expect(r.code).toBe(78);
    expectOneLine(r);
    expect(r.stderr).toContain('with a weak auth token (it has 8 characters)');
  });

  it('serves a strong token off loopback, and any non-empty token on loopback', async () => {
    const strong = 'b6f0c2e9a41d7385fe0c9a1b2d3e4f5a6b7c8d9e0f1a2b3c';
    const open = await startDaemon({ token: strong, args: ['--bind', '0.0.0.0'] });
    try {
      const c = await open.client();
      expect((await c.request<{ modelTier: string }>('route', { text: 'hello there' })).modelTier).toMatch(/^(flagship|lightweight)$/);
      await c.close();
    } finally {
      await open.stop();
    }
    const local = await startDaemon({ token: 'aaaaaaaa' });
    try {
      const c = await local.client();
      expect((await c.request<{ modelTier: string }>('route', { text: 'hello there' })).modelTier).toMatch(/^(flagship|lightweight)$/);
      await c.close();
    } finally {
      await local.stop();
    }
  });
});

describe('config.get', () => {
  it('redacts credentials embedded in URLs and keeps the rest of the URL', async () => {
    const daemon = await startDaemon({
      config: {
        memorySearch: { provider: 'local', remote: { baseUrl: 'https://alice:s3cr%40t@embed.example.com:8443/v1?x=1', apiKey: 'sk-test-abcdefghijkl' } },
      },
    });
    try {
      const c = await daemon.client();
      const view = await c.request<{ config: { memorySearch: { remote: { baseUrl: string; apiKey: string } }; gateway: { auth: { token: string } } } }>(
        'config.get',
        {},
      );
      await c.close();
      expect(view.config.memorySearch.remote.baseUrl).toBe('https://[redacted]@embed.example.com:8443/v1?x=1');
      expect(view.config.memorySearch.remote.apiKey).toBe('[redacted]');
      expect(view.config.gateway.auth.token).toBe('[redacted]');
      const text = JSON.stringify(view);
      for (const secret of ['alice', 's3cr', 'sk-test', daemon.token]) expect(text).not.toContain(secret);
    } finally {
      await daemon.stop();
    }
  });
});

describe('user-memory files, learning text, capacity and damaged snapshot rows', () => {
  let daemon: RunningDaemon;
  let client: GatewayClient;
  let dir: string;
  const random = mulberry32(15);

  beforeAll(async () => {
    dir = scratch();
    // compactionThreshold 10 (the minimum): the 10th correction starts a compaction that leaves
    // floor(0.75 × 10) = 7, evicting 3 live ones (minRetention 3 newest kept).
    daemon = await startDaemon({ stateDir: dir, config: { vectorStore: { compactionThreshold: 10 } } });
    client = await daemon.client({ scopes });
  });
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
  });

  it('refuses empty, whitespace-only and control-character-only text: route.feedback INVALID_REQUEST, `learn` one line and exit 1, a bare prefix learns nothing', async () => {
    const before = (await client.request<{ patches: number }>('memory.stats', {})).patches;
    for (const text of ['', '   ', '\u0000\u0000', '\t\n\u200b']) {
      const err = await client.request('route.feedback', { text, tier: 'flagship' }).then(
        () => null,
        (e: { error?: { code: string; message: string } }) => e.error,
      );
      expect(err, JSON.stringify(text)).toMatchObject({ code: 'INVALID_REQUEST' });
      expect(err!.message).toContain('at /params/text: text has nothing to learn from');
    }
    const learn = await cli(['learn', '--tier', 'flagship', '--url', daemon.url, '--token', daemon.token, '   '], {});
    expect(learn.code).toBe(1);
    expectOneLine(learn);
    expect(learn.stderr).toContain('text has nothing to learn from');

    const bare = await client.request<{ modelTier: string; source: string; reasoning: string }>('route', { text: 'F:   ' });
    expect(bare).toMatchObject({ modelTier: 'flagship', source: 'prefix' });
    expect(bare.reasoning).not.toContain('learned as a patch');
    const control = await client.request<{ modelTier: string; source: string; reasoning: string }>('route', { text: 'F: \u0000\u0000' });
    expect(control).toMatchObject({ modelTier: 'flagship', source: 'prefix' });
    expect(control.reasoning).toContain('not learned (text has nothing to learn from');

    // A decision whose text has nothing to learn from cannot be learned by its id either.
    const blank = await client.request<{ decisionId: string }>('route', { text: '\u0000 \u0000' });
    await expect(client.request('route.feedback', { decisionId: blank.decisionId, tier: 'lightweight' })).rejects.toMatchObject({
      error: { code: 'INVALID_REQUEST', details: { code: 'SRD_ERR_PATCH_EMPTY' } },
    });
    expect((await client.request<{ patches: number }>('memory.stats', {})).patches).toBe(before);
  });

  it('evicts live corrections above floor(0.75 × compactionThreshold) with a warning and the evictedForCapacity counter', async () => {
    for (let i = 0; i < 10; i++) await client.request('route.feedback', { text: distinctText(random, i), tier: 'flagship' });
    const stats = await statsWhen(client, (s) => s.compactions >= 1);
    expect(stats).toMatchObject({ patches: 7, snapshotRows: 7, evictedForCapacity: 3, lastCompaction: { before: 10, after: 7, evicted: 3, dropped: 0 } });
    const warning = logLines(daemon).find((l) => l.msg?.startsWith('user memory compaction evicted'));
    expect(warning).toMatchObject({ level: 40, evicted: 3, target: 7, compactionThreshold: 10 });
    expect(warning?.msg).toContain('evicted 3 live correction(s) for capacity');
    expect(warning?.msg).toContain('raise vectorStore.compactionThreshold');
  });

  it('creates the journal, the snapshot and their temp files 0600 under umask 022', async () => {
    expect(mode(path.join(dir, 'user_memory.journal'))).toBe(0o600);
    expect(mode(path.join(dir, 'user_memory.vctr'))).toBe(0o600);
    // The journal was restarted by the compaction (a temp file renamed over it), and one more
    // append now goes through the reopened file.
    await client.request('route.feedback', { text: distinctText(random, 99), tier: 'lightweight' });
    expect(mode(path.join(dir, 'user_memory.journal'))).toBe(0o600);
  });

  it('keeps every intact snapshot row when one row is damaged, reports 1 damaged row and keeps the damaged file aside', async () => {
    const exported = ids(await client.request<Patch[]>('memory.export', {}));
    await client.close();
    await daemon.stop();
    const snapshot = path.join(dir, 'user_memory.vctr');
    const bytes = readFileSync(snapshot);
    const dims = bytes.readUInt32LE(8);
    const count = bytes.readUInt32LE(12);
    const dataOffset = Number(bytes.readBigUInt64LE(32));
    expect(count).toBe(7);
    const row = 2;
    const at = dataOffset + row * dims * 4 + 4 * 17 + 1;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x5a, at);
    writeFileSync(snapshot, bytes);

    daemon = await startDaemon({ stateDir: dir });
    client = await daemon.client({ scopes });
    const after = ids(await client.request<Patch[]>('memory.export', {}));
    // 7 snapshot rows − the damaged one, plus the correction still in the journal.
    expect(after).toHaveLength(exported.length - 1);
    const lost = exported.filter((p) => !after.some((q) => q.textHash === p.textHash));
    expect(lost).toHaveLength(1);
    const warning = logLines(daemon).find((l) => l.code === 'SRD_ERR_VCTR_CRC_MISMATCH');
    expect(warning).toMatchObject({ level: 40, kept: 6, damaged: 1 });
    expect(warning?.msg).toContain('kept 6 of 7 rows whose own checksum holds, dropped 1 damaged row(s)');
    const aside = readdirSync(dir).filter((n) => n.startsWith('user_memory.vctr.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!))).toEqual(bytes);
    expect(mode(path.join(dir, aside[0]!))).toBe(0o600);
    expect(mode(snapshot)).toBe(0o600);

    // The rewritten snapshot is clean: the next start loads the same 6 rows without a warning.
    await client.close();
    await daemon.stop();
    daemon = await startDaemon({ stateDir: dir });
    client = await daemon.client({ scopes });
    expect(ids(await client.request<Patch[]>('memory.export', {}))).toEqual(after);
    expect(daemon.lines.some((l) => l.includes('SRD_ERR_VCTR_CRC_MISMATCH'))).toBe(false);
  });
});
