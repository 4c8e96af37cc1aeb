import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../db/index.js';
import { AesGcmSecurityModule, parseMasterKey } from './security-module.js';
import { KEYS_MIGRATIONS, KeyVault } from './vault.js';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
let db: SqlDatabase;

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await runMigrations(db, KEYS_MIGRATIONS);
});
afterAll(async () => {
  await db?.close();
});

describe('AES-256-GCM security module', () => {
  it('reads the master key as hex or base64 from env or file and refuses anything else without echoing it', async () => {
    expect(AesGcmSecurityModule.fromEnv({ METERGATE_MASTER_KEY: K1.toString('hex') }).activeKeyId).toBe(
      'mk1',
    );
    expect(
      AesGcmSecurityModule.fromEnv({
        METERGATE_MASTER_KEY: K1.toString('base64'),
        METERGATE_MASTER_KEY_ID: 'k9',
      }).activeKeyId,
    ).toBe('k9');
    const dir = await mkdtemp(join(tmpdir(), 'mg-mk-'));
    try {
      await writeFile(join(dir, 'mk'), `${K1.toString('hex')}\n`);
      expect(AesGcmSecurityModule.fromEnv({ METERGATE_MASTER_KEY_FILE: join(dir, 'mk') }).hasKey('mk1')).toBe(
        true,
      );
      expect(() => AesGcmSecurityModule.fromEnv({ METERGATE_MASTER_KEY_FILE: join(dir, 'missing') })).toThrow(
        /ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => AesGcmSecurityModule.fromEnv({})).toThrow(/METERGATE_MASTER_KEY/);
    const short = 'abcd'.repeat(8);
    try {
      parseMasterKey(short, 'env');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/32 bytes/);
      expect((err as Error).message).not.toContain(short);
    }
  });

  it('seals and opens, binds each blob to its vault id, and detects tampering', async () => {
    const sm = new AesGcmSecurityModule({ keys: { a: K1 }, activeKeyId: 'a' });
    const plain = randomBytes(32);
    const blob = await sm.seal(plain, 'entry-1');
    expect(Buffer.from(await sm.unseal(blob, 'entry-1'))).toEqual(plain);
    await expect(sm.unseal(blob, 'entry-2')).rejects.toMatchObject({ code: 'MG_ERR_KEYS_DECRYPT' });
    const flipped = Buffer.from(blob.data, 'base64');
    flipped[0]! ^= 1;
    await expect(sm.unseal({ ...blob, data: flipped.toString('base64') }, 'entry-1')).rejects.toMatchObject({
      code: 'MG_ERR_KEYS_DECRYPT',
    });
    const other = new AesGcmSecurityModule({ keys: { a: K2 }, activeKeyId: 'a' });
    await expect(other.unseal(blob, 'entry-1')).rejects.toMatchObject({ code: 'MG_ERR_KEYS_DECRYPT' });
  });
});

describe('KeyVault', () => {
  it('stores only ciphertext, opens by id and kind, and rotates to a new master key', async () => {
    const v1 = new KeyVault(new AesGcmSecurityModule({ keys: { old: K1 }, activeKeyId: 'old' }));
    const secret = randomBytes(16);
    const id = await v1.put(db, 'vending-key', secret, 'test key');
    const { rows } = await db.query<Record<string, string>>('SELECT * FROM key_vault WHERE id = $1', [id]);
    expect(JSON.stringify(rows)).not.toContain(secret.toString('hex'));
    expect(JSON.stringify(rows)).not.toContain(secret.toString('base64'));
    expect(Buffer.from(await v1.open(db, id, 'vending-key'))).toEqual(secret);
    await expect(v1.open(db, id, 'sta-tables')).rejects.toMatchObject({ code: 'MG_ERR_KEYS_NOT_FOUND' });
    await expect(v1.open(db, 'nope')).rejects.toMatchObject({ code: 'MG_ERR_KEYS_NOT_FOUND' });

    // Rotation: the new module knows both keys, seals with the new one.
    const v2 = new KeyVault(new AesGcmSecurityModule({ keys: { old: K1, new: K2 }, activeKeyId: 'new' }));
    expect(await v2.rotate(db)).toBe(1);
    expect((await v2.list(db)).find((e) => e.id === id)).toMatchObject({
      masterKeyId: 'new',
      kind: 'vending-key',
      label: 'test key',
    });
    expect(await v2.rotate(db)).toBe(0);
    // Only the new key is needed from now on; the old one alone can no longer open it.
    const onlyNew = new KeyVault(new AesGcmSecurityModule({ keys: { new: K2 }, activeKeyId: 'new' }));
    expect(Buffer.from(await onlyNew.open(db, id))).toEqual(secret);
    await expect(v1.open(db, id)).rejects.toMatchObject({ code: 'MG_ERR_KEYS_UNKNOWN_MASTER_KEY_ID' });
    await expect(v1.put(db, 'vending-key', new Uint8Array(0))).rejects.toMatchObject({
      code: 'MG_ERR_KEYS_INVALID_MATERIAL',
    });
  });
});
