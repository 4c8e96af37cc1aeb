import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KeyVaultError } from './errors.js';

/** An encrypted blob as stored: which master key, nonce, ciphertext and GCM tag (all base64). */
export interface SealedBlob {
  keyId: string;
  iv: string;
  data: string;
  tag: string;
}

/**
 * The small boundary an HSM can replace: seal/unseal opaque bytes with a named master key. The
 * vault never sees master key bytes; an HSM implementation would keep them inside the device.
 * `aad` binds a blob to its vault id, so a sealed value copied onto another row fails to open.
 */
export interface SecurityModule {
  readonly activeKeyId: string;
  seal(plain: Uint8Array, aad: string): Promise<SealedBlob>;
  unseal(blob: SealedBlob, aad: string): Promise<Uint8Array>;
  hasKey(keyId: string): boolean;
}

/** Parse a 256-bit key given as 64 hex digits or base64 of 32 bytes. */
export function parseMasterKey(text: string, source: string): Buffer {
  const t = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (
    buf.length !== 32 ||
    (!/^[0-9a-fA-F]{64}$/.test(t) && buf.toString('base64').replace(/=+$/, '') !== t.replace(/=+$/, ''))
  ) {
    throw new KeyVaultError(
      'MG_ERR_KEYS_MASTER_KEY_INVALID',
      `${source}: master key must be 32 bytes as 64 hex digits or base64`,
    );
  }
  return buf;
}

export interface AesGcmSecurityModuleOptions {
  /** Master keys by id (32 bytes each). Old ids stay here after rotation so old blobs still open. */
  keys: Record<string, Uint8Array>;
  /** Id used to seal new blobs. */
  activeKeyId: string;
}

/** Software security module: AES-256-GCM (NIST SP 800-38D) with 96-bit random nonces. */
export class AesGcmSecurityModule implements SecurityModule {
  readonly activeKeyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(options: AesGcmSecurityModuleOptions) {
    this.activeKeyId = options.activeKeyId;
    this.keys = new Map(Object.entries(options.keys).map(([id, k]) => [id, Buffer.from(k)]));
  }

  /**
   * From the environment: METERGATE_MASTER_KEY (hex/base64) or METERGATE_MASTER_KEY_FILE, with id
   * METERGATE_MASTER_KEY_ID (default "mk1"); previous keys for rotation in
   * METERGATE_MASTER_KEYS_OLD as `id:key,id:key`.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmSecurityModule {
    const id = env.METERGATE_MASTER_KEY_ID || 'mk1';
    let text = env.METERGATE_MASTER_KEY;
    let source = 'METERGATE_MASTER_KEY';
    if (!text && env.METERGATE_MASTER_KEY_FILE) {
      source = `METERGATE_MASTER_KEY_FILE ${env.METERGATE_MASTER_KEY_FILE}`;
      try {
        text = readFileSync(env.METERGATE_MASTER_KEY_FILE, 'utf8');
      } catch (err) {
        throw new KeyVaultError(
          'MG_ERR_KEYS_MASTER_KEY_MISSING',
          `${source}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
        );
      }
    }
    if (!text) {
      throw new KeyVaultError(
        'MG_ERR_KEYS_MASTER_KEY_MISSING',
        'set METERGATE_MASTER_KEY (64 hex digits or base64 of 32 bytes) or METERGATE_MASTER_KEY_FILE',
      );
    }
    const keys: Record<string, Uint8Array> = { [id]: parseMasterKey(text, source) };
    for (const entry of (env.METERGATE_MASTER_KEYS_OLD ?? '').split(',').filter(Boolean)) {
      const at = entry.indexOf(':');
      if (at <= 0)
        throw new KeyVaultError(
          'MG_ERR_KEYS_MASTER_KEY_INVALID',
          'METERGATE_MASTER_KEYS_OLD entries must be id:key',
        );
      const oldId = entry.slice(0, at);
      keys[oldId] = parseMasterKey(entry.slice(at + 1), `METERGATE_MASTER_KEYS_OLD ${oldId}`);
    }
    return new AesGcmSecurityModule({ keys, activeKeyId: id });
  }

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  private key(keyId: string): Buffer {
    const k = this.keys.get(keyId);
    if (!k)
      throw new KeyVaultError(
        'MG_ERR_KEYS_UNKNOWN_MASTER_KEY_ID',
        `no master key with id ${JSON.stringify(keyId)}`,
      );
    return k;
  }

  async seal(plain: Uint8Array, aad: string): Promise<SealedBlob> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(this.activeKeyId), iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      keyId: this.activeKeyId,
      iv: iv.toString('base64'),
      data: data.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  }

  async unseal(blob: SealedBlob, aad: string): Promise<Uint8Array> {
    const decipher = createDecipheriv('aes-256-gcm', this.key(blob.keyId), Buffer.from(blob.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(blob.tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(blob.data, 'base64')), decipher.final()]);
    } catch {
      throw new KeyVaultError(
        'MG_ERR_KEYS_DECRYPT',
        `vault entry ${aad} failed authentication (wrong master key or tampered)`,
      );
    }
  }
}
