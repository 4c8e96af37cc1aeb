import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makePrivate } from './private-files.js';
import { openDatabase } from './open.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mg-private-'));
  dirs.push(d);
  return d;
};
const mode = (p: string) => statSync(p).mode & 0o777;

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('owner-only data directories', () => {
  it('makes directories 0700 and files 0600, creating the directory when missing', () => {
    const root = temp();
    const sub = join(root, 'data', 'base');
    mkdirSync(sub, { recursive: true, mode: 0o755 });
    chmodSync(join(root, 'data'), 0o777);
    writeFileSync(join(sub, 'f'), 'x', { mode: 0o666 });
    chmodSync(join(sub, 'f'), 0o666);
    symlinkSync('/etc/hostname', join(sub, 'link'));
    makePrivate(join(root, 'data'));
    expect(mode(join(root, 'data'))).toBe(0o700);
    expect(mode(sub)).toBe(0o700);
    expect(mode(join(sub, 'f'))).toBe(0o600);
    makePrivate(join(root, 'fresh'));
    expect(mode(join(root, 'fresh'))).toBe(0o700);
  });

  it('a file-backed PGlite opened through openDatabase is owner-only', async () => {
    const root = temp();
    chmodSync(root, 0o755);
    const db = await openDatabase({ dataDir: root, pgliteThread: 'main' });
    try {
      await db.query('CREATE TABLE t (x int)');
    } finally {
      await db.close();
    }
    expect(mode(root)).toBe(0o700);
    expect(mode(join(root, 'pglite'))).toBe(0o700);
    expect(mode(join(root, 'pglite', 'PG_VERSION')) & 0o077).toBe(0);
  });
});
