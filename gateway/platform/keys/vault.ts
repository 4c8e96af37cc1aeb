import { randomUUID } from 'node:crypto';
import type { Migration, SqlExecutor } from '../db/index.js';
import { KeyVaultError } from './errors.js';
import type { SecurityModule } from './security-module.js';

export type VaultKind = 'vending-key' | 'sta-tables';

export const KEYS_MIGRATIONS: readonly Migration[] = [
  {
    id: 'keys-0001-vault',
    sql: `
CREATE TABLE key_vault (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('vending-key', 'sta-tables')),
  label text NOT NULL DEFAULT '',
  master_key_id text NOT NULL,
  iv text NOT NULL,
  data text NOT NULL,
  tag text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz
)`,
  },
];

export interface VaultEntryInfo {
  id: string;
  kind: VaultKind;
  label: string;
  masterKeyId: string;
  createdAt: Date;
}

interface Row {
  id: string;
  kind: VaultKind;
  label: string;
  master_key_id: string;
  iv: string;
  data: string;
  tag: string;
  created_at: Date;
}

/**
 * Encrypted key material in the ledger database (vending keys, STA tables). Plaintext leaves only
 * through `open()`, to the code that derives decoder keys; nothing here logs or formats it.
 */
export class KeyVault {
  private readonly module: SecurityModule;
  constructor(module: SecurityModule) {
    this.module = module;
  }

  async put(
    db: SqlExecutor,
    kind: VaultKind,
    material: Uint8Array,
    label = '',
    id: string = randomUUID(),
  ): Promise<string> {
    if (!(material instanceof Uint8Array) || material.length === 0) {
      throw new KeyVaultError(
        'MG_ERR_KEYS_INVALID_MATERIAL',
        `${kind}: key material must be non-empty bytes`,
      );
    }
    const sealed = await this.module.seal(material, id);
    await db.query(
      'INSERT INTO key_vault (id, kind, label, master_key_id, iv, data, tag) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [id, kind, label, sealed.keyId, sealed.iv, sealed.data, sealed.tag],
    );
    return id;
  }

  async open(db: SqlExecutor, id: string, kind?: VaultKind): Promise<Uint8Array> {
    const { rows } = await db.query<Row>('SELECT * FROM key_vault WHERE id = $1', [id]);
    const row = rows[0];
    if (!row || (kind && row.kind !== kind)) {
      throw new KeyVaultError('MG_ERR_KEYS_NOT_FOUND', `no ${kind ?? 'vault'} entry ${JSON.stringify(id)}`);
    }
    return this.module.unseal({ keyId: row.master_key_id, iv: row.iv, data: row.data, tag: row.tag }, row.id);
  }

  async list(db: SqlExecutor): Promise<VaultEntryInfo[]> {
    const { rows } = await db.query<Row>(
      'SELECT id, kind, label, master_key_id, created_at FROM key_vault ORDER BY created_at, id',
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      label: r.label,
      masterKeyId: r.master_key_id,
      createdAt: r.created_at,
    }));
  }

  /** Re-seal every entry not yet under the active master key; returns how many moved. */
  async rotate(db: SqlExecutor): Promise<number> {
    const { rows } = await db.query<Row>('SELECT * FROM key_vault WHERE master_key_id <> $1', [
      this.module.activeKeyId,
    ]);
    for (const row of rows) {
      const plain = await this.module.unseal(
        { keyId: row.master_key_id, iv: row.iv, data: row.data, tag: row.tag },
        row.id,
      );
      const sealed = await this.module.seal(plain, row.id);
      await db.query(
        'UPDATE key_vault SET master_key_id = $2, iv = $3, data = $4, tag = $5, rotated_at = now() WHERE id = $1',
        [row.id, sealed.keyId, sealed.iv, sealed.data, sealed.tag],
      );
    }
    return rows.length;
  }
}
