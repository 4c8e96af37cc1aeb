import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { openDatabase, runMigrations, type SqlDatabase } from '../../gateway/platform/db/index.js';
import {
  AUTH_MIGRATIONS,
  createApiKey,
  isReaderId,
  isRole,
  listApiKeys,
  revokeApiKey,
} from '../../gateway/platform/auth/index.js';
import { AesGcmSecurityModule, KEYS_MIGRATIONS, KeyVault } from '../../gateway/platform/keys/index.js';
import { loadStaTables } from '../../token-engine/index.js';

interface DbOpts {
  databaseUrl?: string;
  dataDir?: string;
}

function dbOptions(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL; else embedded PGlite)')
    .option(
      '--data-dir <dir>',
      'data directory of the embedded database (default: env METERGATE_DATA_DIR or .data)',
    );
}

async function open(ctx: CliContext, o: DbOpts): Promise<SqlDatabase> {
  const url = o.databaseUrl ?? ctx.env.DATABASE_URL;
  // A keys command runs a handful of statements and exits: the embedded database runs on this thread,
  // which spares starting a database thread (seconds on a busy machine) for each command.
  const db = await openDatabase(
    url
      ? { url, maxConnections: 2 }
      : { dataDir: o.dataDir ?? ctx.env.METERGATE_DATA_DIR ?? '.data', pgliteThread: 'main' },
  );
  await runMigrations(db, AUTH_MIGRATIONS);
  return db;
}

/** `metergate keys …`: API keys for the gateway's HTTP API (the secret is printed once, stored hashed). */
export function registerKeysCommands(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('manage gateway API keys and the key vault');

  dbOptions(
    keys
      .command('create-api-key')
      .alias('create')
      .description('create an API key; the key is printed once and only its hash is stored')
      .requiredOption('--role <role>', 'admin | operator | vendor | customer | reader')
      .option('--vendor-id <id>', 'vendor the key sells for (role vendor)')
      .option('--customer-id <id>', 'customer the key belongs to (role customer)')
      .option('--reader <id>', 'meter reader the key belongs to: only their reading rounds (role reader)')
      .option('--label <text>', 'free text shown by `keys list`', ''),
  ).action(
    async (
      o: DbOpts & { role: string; vendorId?: string; customerId?: string; reader?: string; label: string },
    ) => {
      if (!isRole(o.role)) {
        ctx.stderr.write(
          `--role must be admin, operator, vendor, customer or reader, got ${JSON.stringify(o.role)}\n`,
        );
        ctx.exitCode = 2;
        return;
      }
      // Usage errors before the database is opened: a reader key is nothing without its reader.
      if (o.role === 'reader' && !isReaderId(o.reader)) {
        ctx.stderr.write('--reader <id> (1 to 100 characters) is required with --role reader\n');
        ctx.exitCode = 2;
        return;
      }
      if (o.reader !== undefined && o.role !== 'reader') {
        ctx.stderr.write('--reader goes with --role reader only\n');
        ctx.exitCode = 2;
        return;
      }
      const db = await open(ctx, o);
      try {
        const created = await createApiKey(db, {
          role: o.role,
          vendorId: o.vendorId,
          customerId: o.customerId,
          readerId: o.reader,
          label: o.label,
        });
        ctx.stderr.write(`created key ${created.id} (${o.role}); store it now, it cannot be shown again\n`);
        ctx.stdout.write(`${created.key}\n`);
      } catch (err) {
        ctx.stderr.write(`${(err as Error).message}\n`);
        ctx.exitCode = 1;
      } finally {
        await db.close();
      }
    },
  );

  dbOptions(keys.command('list').description('list API keys (ids and scopes, never secrets)')).action(
    async (o: DbOpts) => {
      const db = await open(ctx, o);
      try {
        for (const k of await listApiKeys(db)) {
          const scope = k.vendorId
            ? ` vendor=${k.vendorId}`
            : k.customerId
              ? ` customer=${k.customerId}`
              : k.readerId
                ? ` reader=${k.readerId}`
                : '';
          const state = k.revokedAt ? ` revoked ${k.revokedAt.toISOString()}` : '';
          ctx.stdout.write(`${k.id} ${k.role}${scope} ${JSON.stringify(k.label)}${state}\n`);
        }
      } finally {
        await db.close();
      }
    },
  );

  dbOptions(keys.command('revoke').argument('<id>', 'key id').description('revoke an API key')).action(
    async (id: string, o: DbOpts) => {
      const db = await open(ctx, o);
      try {
        if (await revokeApiKey(db, id)) ctx.stdout.write(`revoked ${id}\n`);
        else {
          ctx.stderr.write(`no active key ${id}\n`);
          ctx.exitCode = 1;
        }
      } finally {
        await db.close();
      }
    },
  );

  // Key vault: key material sealed under METERGATE_MASTER_KEY (or _FILE); nothing here prints it.
  const vaultOf = async (o: DbOpts): Promise<{ db: SqlDatabase; vault: KeyVault }> => {
    const vault = new KeyVault(AesGcmSecurityModule.fromEnv(ctx.env));
    const db = await open(ctx, o);
    await runMigrations(db, KEYS_MIGRATIONS);
    return { db, vault };
  };
  const fail = (err: unknown): void => {
    const e = err as { code?: string; message: string };
    ctx.stderr.write(`${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    ctx.exitCode = 1;
  };

  dbOptions(
    keys
      .command('import-sta-tables')
      .argument('<file>', 'JSON file {label, s1, s2, p} as supplied under STS Association licence')
      .option('--label <text>', 'label shown by vault-list (default: the file label)')
      .description(
        'validate STA tables and seal them into the key vault; prints the vault id for meters.staRef',
      ),
  ).action(async (file: string, o: DbOpts & { label?: string }) => {
    let tables;
    try {
      tables = loadStaTables(file);
    } catch (err) {
      return fail(err);
    }
    let opened;
    try {
      opened = await vaultOf(o);
    } catch (err) {
      return fail(err);
    }
    try {
      const id = await opened.vault.put(
        opened.db,
        'sta-tables',
        Buffer.from(JSON.stringify(tables)),
        o.label ?? tables.label,
      );
      ctx.stdout.write(`${id}\n`);
    } finally {
      await opened.db.close();
    }
  });

  dbOptions(
    keys
      .command('vault-list')
      .description('list key vault entries (ids, kinds, master key ids; never contents)'),
  ).action(async (o: DbOpts) => {
    let opened;
    try {
      opened = await vaultOf(o);
    } catch (err) {
      return fail(err);
    }
    try {
      for (const e of await opened.vault.list(opened.db)) {
        ctx.stdout.write(`${e.id} ${e.kind} master=${e.masterKeyId} ${JSON.stringify(e.label)}\n`);
      }
    } finally {
      await opened.db.close();
    }
  });

  dbOptions(
    keys
      .command('vault-rotate')
      .description(
        're-seal every vault entry under the active master key (METERGATE_MASTER_KEY_ID); old keys in METERGATE_MASTER_KEYS_OLD=id:key,…',
      ),
  ).action(async (o: DbOpts) => {
    let opened;
    try {
      opened = await vaultOf(o);
    } catch (err) {
      return fail(err);
    }
    try {
      const n = await opened.vault.rotate(opened.db);
      ctx.stdout.write(`re-sealed ${n} entr${n === 1 ? 'y' : 'ies'}\n`);
    } catch (err) {
      fail(err);
    } finally {
      await opened.db.close();
    }
  });
}
