import { createRequire } from 'node:module';

/** Named parameters of a statement (`@name` in the SQL, `{name: value}` here). */
export type SqlParams = Record<string, string | number | bigint | null>;
/** A row as SQLite returns it. */
export type SqlRow = Record<string, unknown>;

/**
 * The few calls the ledger makes of an embedded SQLite database, the same over both drivers:
 * better-sqlite3 12 (Node 20–26, a native addon built at install) and Node's built-in
 * `node:sqlite` (Node ≥ 22.5), used when the addon cannot load — e.g. node_modules installed by
 * another Node major, as CI does when it runs the suite on Node 26 with Node 20's install.
 */
export interface SqliteDb {
  /** `better-sqlite3` or `node:sqlite`. */
  readonly driver: string;
  exec(sql: string): void;
  run(sql: string, params?: SqlParams): { changes: number };
  get(sql: string, params?: SqlParams): SqlRow | undefined;
  all(sql: string, params?: SqlParams): SqlRow[];
  /** Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT; ROLLBACK when it throws). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** A prepared statement of either driver. */
interface Statement {
  run(params?: SqlParams): { changes: number | bigint };
  get(params?: SqlParams): unknown;
  all(params?: SqlParams): unknown[];
}

/** What both drivers' database objects share. */
interface RawDb {
  exec(sql: string): unknown;
  prepare(sql: string): Statement;
  close(): void;
}

const require = createRequire(import.meta.url);

/** Why neither driver loaded, when neither did (for the error message). */
function loadDriver(): { name: string; open: (file: string) => RawDb } {
  const errors: string[] = [];
  try {
    const Database = require('better-sqlite3') as new (file: string) => RawDb;
    // Loading the module does not load the addon; opening a database does.
    new Database(':memory:').close();
    return { name: 'better-sqlite3', open: (file) => new Database(file) };
  } catch (err) {
    errors.push(`better-sqlite3: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: new (file: string) => RawDb };
    return { name: 'node:sqlite', open: (file) => new DatabaseSync(file) };
  } catch (err) {
    errors.push(`node:sqlite: ${(err as Error).message.split('\n')[0]}`);
  }
  throw new Error(`no SQLite driver could be loaded (${errors.join('; ')}); run \`npm rebuild better-sqlite3\` for this Node`);
}

let driver: ReturnType<typeof loadDriver> | null = null;

/**
 * Opens (creating) the SQLite database at `file` with the ledger's pragmas: WAL journal,
 * `synchronous=NORMAL` (a committed transaction survives a killed process; SQLite "WAL mode"
 * docs), a 5 s busy timeout, foreign keys on. Throws when no driver loads or the file is not a
 * database (SQLITE_NOTADB / SQLITE_CORRUPT: the caller moves it aside).
 */
export function openSqlite(file: string): SqliteDb {
  driver ??= loadDriver();
  const raw = driver.open(file);
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let s = statements.get(sql);
    if (!s) {
      s = raw.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  let depth = 0;
  const db: SqliteDb = {
    driver: driver.name,
    exec: (sql) => {
      raw.exec(sql);
    },
    run: (sql, params) => {
      const r = params ? prepare(sql).run(params) : prepare(sql).run();
      return { changes: Number(r.changes) };
    },
    get: (sql, params) => (params ? prepare(sql).get(params) : prepare(sql).get()) as SqlRow | undefined,
    all: (sql, params) => (params ? prepare(sql).all(params) : prepare(sql).all()) as SqlRow[],
    transaction: (fn) => {
      if (depth > 0) return fn();
      // Prepared once (exec would compile the statement on every call: this is on the answer's path).
      prepare('BEGIN IMMEDIATE').run();
      depth++;
      try {
        const out = fn();
        prepare('COMMIT').run();
        return out;
      } catch (err) {
        prepare('ROLLBACK').run();
        throw err;
      } finally {
        depth--;
      }
    },
    close: () => {
      statements.clear();
      raw.close();
    },
  };
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    // A file that is not a database fails only when a page is read.
    db.get('SELECT count(*) AS n FROM sqlite_master');
  } catch (err) {
    raw.close();
    throw err;
  }
  return db;
}
