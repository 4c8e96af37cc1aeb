import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * A fresh embedded database starts from a copy of an empty cluster instead of running initdb.
 *
 * PGlite's initdb is the slowest step of opening a new data directory: several seconds on the 2-core
 * machine, 20 s and more under load for a file-backed one, paid by every fresh demo, every CLI command
 * on a new directory and every in-memory database of the test suite. The cluster initdb produces
 * depends only on the PGlite release, so it is made once (in memory), dumped, kept in the user's
 * cache directory, and loaded into each fresh database. Only an empty cluster is kept: no schema, no
 * data, no keys. Where the cache cannot be written (read-only home in a container), databases are
 * initialised as before.
 */

/** The installed PGlite release, read from its package.json (not exported, so found beside its entry). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
const PGLITE_VERSION = pgliteVersion();

/** Where the template lives: METERGATE_CACHE_DIR, else $XDG_CACHE_HOME/metergate, else ~/.cache/metergate. */
export function pgliteTemplatePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.METERGATE_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'metergate');
  return join(dir, `pglite-${PGLITE_VERSION}-empty-cluster.tar`);
}

/** True when `dataDir` holds no cluster yet (PostgreSQL writes PG_VERSION at initdb). */
export function isFreshDataDir(dataDir: string): boolean {
  return !existsSync(join(dataDir, 'PG_VERSION'));
}

/** Templates being read or made, by path: concurrent fresh databases share one read. */
const pending = new Map<string, Promise<Blob | undefined>>();
/**
 * Templates read, by path, held weakly: a test file opening many in-memory databases reuses the 40 MB
 * while it is alive, and a process that opened its one database (the gateway's thread) lets it go.
 */
const loaded = new Map<string, WeakRef<Blob>>();
/** Paths where no template could be read nor made: initdb as before, without trying again. */
const unavailable = new Set<string>();

/** The empty cluster to load into a fresh database, made and cached on first use. */
export function pgliteTemplate(path = pgliteTemplatePath()): Promise<Blob | undefined> {
  const kept = loaded.get(path)?.deref();
  if (kept) return Promise.resolve(kept);
  if (unavailable.has(path)) return Promise.resolve(undefined);
  let template = pending.get(path);
  if (!template) {
    template = readOrMake(path)
      .catch(() => undefined)
      .then((blob) => {
        pending.delete(path);
        if (blob) loaded.set(path, new WeakRef(blob));
        else unavailable.add(path);
        return blob;
      });
    pending.set(path, template);
  }
  return template;
}

async function readOrMake(path: string): Promise<Blob | undefined> {
  const cached = readTrusted(path);
  if (cached)
    return new Blob([new Uint8Array(cached.buffer as ArrayBuffer, cached.byteOffset, cached.length)]);
  const db = await PGlite.create('memory://');
  let tar: Blob;
  try {
    tar = await db.dumpDataDir('none');
  } finally {
    await db.close();
  }
  save(path, new Uint8Array(await tar.arrayBuffer()));
  return tar;
}

/** The cached file, if this user owns it and nobody else may write it (it becomes a database). */
export function readTrusted(path: string): Buffer | undefined {
  try {
    const st = statSync(path);
    const uid = process.getuid?.();
    if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(path);
  } catch {
    return undefined; // not made yet
  }
}

function save(path: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Written aside and renamed: processes starting side by side never read a half-written file.
    const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(aside, bytes, { mode: 0o600 });
    renameSync(aside, path);
  } catch {
    // A read-only cache directory: this database still starts from the dump made above, and the
    // next process makes its own.
  }
}
