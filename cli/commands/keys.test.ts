import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../index.js';
import { captureContext } from '../test-context.js';
import { openDatabase, runMigrations } from '../../gateway/platform/db/index.js';
import { AUTH_MIGRATIONS, verifyApiKey } from '../../gateway/platform/auth/index.js';
import { AesGcmSecurityModule, KeyVault } from '../../gateway/platform/keys/index.js';
import { generateTestStaTables } from '../../token-engine/index.js';

describe('metergate keys', () => {
  // One data directory for the file: creating an embedded database cluster costs seconds, and each
  // test below uses its own keys, its own reader and its own vault entry in it.
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mg-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a key printed once, usable, listed without its secret, and revocable', async () => {
    const c = captureContext();
    expect(
      await main(['keys', 'create-api-key', '--role', 'vendor', '--vendor-id', 'V1', '--data-dir', dir], c),
    ).toBe(0);
    const key = c.out().trim();
    expect(key).toMatch(/^mgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const l = captureContext();
    expect(await main(['keys', 'list', '--data-dir', dir], l)).toBe(0);
    const id = key.split('_')[1]!;
    expect(l.out()).toContain(`${id} vendor vendor=V1`);
    expect(l.out()).not.toContain(key.split('_').slice(2).join('_'));

    let db = await openDatabase({ dataDir: dir, pgliteThread: 'main' });
    await runMigrations(db, AUTH_MIGRATIONS);
    expect(await verifyApiKey(db, key)).toMatchObject({ role: 'vendor', vendorId: 'V1' });
    await db.close();

    expect(await main(['keys', 'revoke', id, '--data-dir', dir], captureContext())).toBe(0);
    db = await openDatabase({ dataDir: dir, pgliteThread: 'main' });
    expect(await verifyApiKey(db, key)).toBeNull();
    await db.close();

    const bad = captureContext();
    expect(await main(['keys', 'create-api-key', '--role', 'root', '--data-dir', dir], bad)).toBe(2);
    expect(bad.err()).toMatch(/--role must be/);
    const noVendor = captureContext();
    expect(await main(['keys', 'create-api-key', '--role', 'vendor', '--data-dir', dir], noVendor)).toBe(1);
    expect(noVendor.err()).toMatch(/vendor id/);
  }, 120_000);

  it('creates a reader key with --reader (required with --role reader), scoped to that reader', async () => {
    const c = captureContext();
    expect(
      await main(['keys', 'create', '--role', 'reader', '--reader', 'releveur-07', '--data-dir', dir], c),
    ).toBe(0);
    const key = c.out().trim();
    const l = captureContext();
    expect(await main(['keys', 'list', '--data-dir', dir], l)).toBe(0);
    expect(l.out()).toContain(`${key.split('_')[1]!} reader reader=releveur-07`);
    const db = await openDatabase({ dataDir: dir, pgliteThread: 'main' });
    expect(await verifyApiKey(db, key)).toMatchObject({ role: 'reader', readerId: 'releveur-07' });
    await db.close();

    const noReader = captureContext();
    expect(await main(['keys', 'create-api-key', '--role', 'reader', '--data-dir', dir], noReader)).toBe(2);
    expect(noReader.err()).toMatch(/--reader <id> .* is required with --role reader/);
    const strayReader = captureContext();
    expect(
      await main(
        ['keys', 'create-api-key', '--role', 'operator', '--reader', 'r', '--data-dir', dir],
        strayReader,
      ),
    ).toBe(2);
    expect(strayReader.err()).toMatch(/--reader goes with --role reader only/);
  }, 120_000);

  it('imports STA tables into the vault and rotates the master key, never printing key material', async () => {
    const tables = generateTestStaTables('cli-test');
    const file = join(dir, 'sta.json');
    await writeFile(file, JSON.stringify(tables));
    const k1 = 'ab'.repeat(32);
    const k2 = 'cd'.repeat(32);
    const c = captureContext();
    c.env = { METERGATE_MASTER_KEY: k1 };
    expect(await main(['keys', 'import-sta-tables', file, '--data-dir', dir], c)).toBe(0);
    const id = c.out().trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const noKey = captureContext();
    expect(await main(['keys', 'vault-list', '--data-dir', dir], noKey)).toBe(1);
    expect(noKey.err()).toMatch(/MG_ERR_KEYS_MASTER_KEY_MISSING/);
    const bad = captureContext();
    bad.env = { METERGATE_MASTER_KEY: k1 };
    await writeFile(join(dir, 'bad.json'), '{"s1": "nope"}');
    expect(await main(['keys', 'import-sta-tables', join(dir, 'bad.json'), '--data-dir', dir], bad)).toBe(1);
    const rot = captureContext();
    rot.env = {
      METERGATE_MASTER_KEY: k2,
      METERGATE_MASTER_KEY_ID: 'mk2',
      METERGATE_MASTER_KEYS_OLD: `mk1:${k1}`,
    };
    expect(await main(['keys', 'vault-rotate', '--data-dir', dir], rot)).toBe(0);
    expect(rot.out()).toMatch(/re-sealed 1 entry/);
    const list = captureContext();
    list.env = { METERGATE_MASTER_KEY: k2, METERGATE_MASTER_KEY_ID: 'mk2' };
    expect(await main(['keys', 'vault-list', '--data-dir', dir], list)).toBe(0);
    expect(list.out()).toContain(`${id} sta-tables master=mk2`);
    const db = await openDatabase({ dataDir: dir, pgliteThread: 'main' });
    const vault = new KeyVault(
      AesGcmSecurityModule.fromEnv({ METERGATE_MASTER_KEY: k2, METERGATE_MASTER_KEY_ID: 'mk2' }),
    );
    expect(JSON.parse(Buffer.from(await vault.open(db, id)).toString('utf8')).s1).toEqual([...tables.s1]);
    await db.close();
    for (const out of [c.out(), c.err(), rot.out(), rot.err(), list.out(), bad.err()]) {
      expect(out).not.toContain(k1);
      expect(out).not.toContain(k2);
      expect(out).not.toContain(JSON.stringify(tables.p));
    }
  }, 120_000);
});
