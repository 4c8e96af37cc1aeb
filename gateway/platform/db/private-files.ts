import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Owner-only modes of what the gateway keeps on disk (ledger, readings, outboxes, keys). */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and its missing parents) owner-only and makes everything already in it owner-only:
 * directories 0700, regular files 0600 (symbolic links and sockets are left alone). PGlite's file
 * system layer creates files with the process umask (0666 & umask), so a data directory written by
 * an earlier version, or by a process without the CLI's umask 077, is repaired here at open and at
 * close. The CLI sets umask 077 at start, so files created in between are owner-only too.
 */
export function makePrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const walk = (path: string) => {
    const st = lstatSync(path);
    if (st.isDirectory()) {
      if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (st.isFile() && (st.mode & 0o777 & ~PRIVATE_FILE_MODE) !== 0) {
      chmodSync(path, st.mode & 0o777 & PRIVATE_FILE_MODE);
    }
  };
  walk(dir);
}
