import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../index.js';
import type { CliContext } from '../context.js';
import { createLogger } from '../logger.js';
import { openDatabase, runMigrations } from '../../gateway/db/index.js';
import { AUTH_MIGRATIONS, verifyApiKey } from '../../gateway/auth/index.js';

function ctx(): CliContext & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: {},
    logger: () => createLogger('silent'),
    exitCode: 0,
    out: () => out,
    err: () => err,
  };
}

describe('metergate keys', () => {
  it('creates a key printed once, usable, listed without its secret, and revocable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mg-keys-'));
    try {
      const c = ctx();
      expect(
        await main(['keys', 'create-api-key', '--role', 'vendor', '--vendor-id', 'V1', '--data-dir', dir], c),
      ).toBe(0);
      const key = c.out().trim();
      expect(key).toMatch(/^mgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      const l = ctx();
      expect(await main(['keys', 'list', '--data-dir', dir], l)).toBe(0);
      const id = key.split('_')[1]!;
      expect(l.out()).toContain(`${id} vendor vendor=V1`);
      expect(l.out()).not.toContain(key.split('_')[2]!);

      let db = await openDatabase({ dataDir: dir });
      await runMigrations(db, AUTH_MIGRATIONS);
      expect(await verifyApiKey(db, key)).toMatchObject({ role: 'vendor', vendorId: 'V1' });
      await db.close();

      expect(await main(['keys', 'revoke', id, '--data-dir', dir], ctx())).toBe(0);
      db = await openDatabase({ dataDir: dir });
      expect(await verifyApiKey(db, key)).toBeNull();
      await db.close();

      const bad = ctx();
      expect(await main(['keys', 'create-api-key', '--role', 'root', '--data-dir', dir], bad)).toBe(2);
      expect(bad.err()).toMatch(/--role must be/);
      const noVendor = ctx();
      expect(await main(['keys', 'create-api-key', '--role', 'vendor', '--data-dir', dir], noVendor)).toBe(1);
      expect(noVendor.err()).toMatch(/vendor id/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
