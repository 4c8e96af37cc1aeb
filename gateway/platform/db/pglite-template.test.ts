import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from './pglite-database.js';
import { isFreshDataDir, pgliteTemplate, pgliteTemplatePath, readTrusted } from './pglite-template.js';

describe('PGlite empty-cluster template', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'mg-pglite-template-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is cached where the environment says, owner-only, keyed by the PGlite release', () => {
    const path = pgliteTemplatePath({ METERGATE_CACHE_DIR: join(root, 'cache') });
    expect(path).toMatch(/cache\/pglite-\d+\.\d+\.\d+-empty-cluster\.tar$/);
    expect(pgliteTemplatePath({ XDG_CACHE_HOME: '/x' })).toMatch(/^\/x\/metergate\/pglite-/);
  });

  it('starts a fresh file-backed database that persists like one made by initdb', async () => {
    const path = join(root, 'cache-a', 'template.tar');
    const template = await pgliteTemplate(path);
    expect(template?.size).toBeGreaterThan(1_000_000);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const dataDir = join(root, 'db');
    expect(isFreshDataDir(dataDir)).toBe(true);
    const db = await new PgliteDatabase({ dataDir }).start();
    await db.exec('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    await db.close();
    expect(isFreshDataDir(dataDir)).toBe(false);

    // Reopened: no template any more (the cluster is there), and the row is.
    const again = await new PgliteDatabase({ dataDir }).start();
    expect((await again.query<{ n: number }>('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
    await again.close();
  });

  it('uses a cached file only when this user owns it and nobody else may write it', () => {
    const path = join(root, 'trust.tar');
    writeFileSync(path, 'cluster bytes', { mode: 0o600 });
    expect(readTrusted(path)?.toString()).toBe('cluster bytes');
    chmodSync(path, 0o666); // another local user could have swapped it
    expect(readTrusted(path)).toBeUndefined();
    chmodSync(path, 0o620);
    expect(readTrusted(path)).toBeUndefined();
    expect(readTrusted(join(root, 'missing.tar'))).toBeUndefined();
  });

  it('gives an in-memory database the same empty cluster initdb would', async () => {
    const fromTemplate = await new PgliteDatabase().start();
    const fromInitdb = await new PgliteDatabase({ template: false }).start();
    const schema = 'SELECT count(*)::int AS n FROM pg_catalog.pg_class';
    expect((await fromTemplate.query(schema)).rows).toEqual((await fromInitdb.query(schema)).rows);
    await Promise.all([fromTemplate.close(), fromInitdb.close()]);
  });
});
