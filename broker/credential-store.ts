import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { isValidId } from '../protocol/index.js';
import { BrokerError } from './errors.js';
import { isRole, ROLES, type Role } from './identity.js';
import { parsePasswordHash } from './password-hash.js';

/** One device or service allowed to connect. The username is the device id. */
export interface CredentialRecord {
  readonly username: string;
  readonly role: Role;
  /** Meters an edge serves; ignored for other roles (a meter serves itself). */
  readonly meters: readonly string[];
  /** `scrypt$…` (see password-hash.ts); absent when the device authenticates only by certificate. */
  readonly passwordHash?: string;
}

/**
 * Where device credentials come from: a YAML/JSON file today, the ledger database later. The broker
 * only looks records up; it never lists them or sees a plain password.
 */
export interface CredentialStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The record for a username, or undefined. Must not throw for unknown or odd usernames. */
  lookup(username: string): Promise<CredentialRecord | undefined>;
}

/**
 * Validate untrusted credential documents. Shape:
 * `{ users: [{ username, role, meters?: [..], password: 'scrypt$…' }] }`. Every problem is named.
 */
export function parseCredentials(doc: unknown, source = 'credentials'): CredentialRecord[] {
  const errors: string[] = [];
  const users = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(users))
    throw new BrokerError('MG_ERR_BROKER_CREDENTIALS', `${source}: /users must be a list`);
  const out: CredentialRecord[] = [];
  const seen = new Set<string>();
  users.forEach((u: unknown, i) => {
    const at = `${source}: /users/${i}`;
    if (typeof u !== 'object' || u === null) return void errors.push(`${at} must be an object`);
    const r = u as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!['username', 'role', 'meters', 'password'].includes(k))
        errors.push(`${at}/${k} is not a known key`);
    }
    if (!isValidId(r.username))
      return void errors.push(`${at}/username must be an id (letters, digits, . _ -)`);
    if (seen.has(r.username)) errors.push(`${at}/username ${r.username} is listed twice`);
    seen.add(r.username);
    if (!isRole(r.role)) return void errors.push(`${at}/role must be one of ${ROLES.join(', ')}`);
    const meters = r.meters ?? [];
    if (!Array.isArray(meters) || !meters.every(isValidId)) {
      return void errors.push(`${at}/meters must be a list of meter ids`);
    }
    if (r.password !== undefined) {
      if (typeof r.password !== 'string')
        return void errors.push(`${at}/password must be a scrypt hash string`);
      const parsed = parsePasswordHash(r.password);
      // Never echo the value: it may be a plain password typed by mistake.
      if (!parsed.ok)
        return void errors.push(
          `${at}/password is not a scrypt hash (${parsed.reason}); use metergate broker passwd`,
        );
    }
    out.push({
      username: r.username,
      role: r.role,
      meters: [...(meters as string[])],
      ...(r.password !== undefined ? { passwordHash: r.password as string } : {}),
    });
  });
  if (errors.length) throw new BrokerError('MG_ERR_BROKER_CREDENTIALS', errors.join('; '));
  return out;
}

/** The reference store: records held in memory, from a list or a YAML/JSON file read at start(). */
export class FileCredentialStore implements CredentialStore {
  private records = new Map<string, CredentialRecord>();

  constructor(private readonly options: { file?: string; records?: CredentialRecord[] }) {}

  async start(): Promise<void> {
    const records = this.options.records
      ? parseCredentials({ users: this.options.records.map(toDoc) }, 'records')
      : await this.readFile();
    this.records = new Map(records.map((r) => [r.username, r]));
  }

  /** Re-read the file (e.g. on SIGHUP); on a bad file the old records stay in force. */
  async reload(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    this.records.clear();
  }

  async lookup(username: string): Promise<CredentialRecord | undefined> {
    return this.records.get(username);
  }

  private async readFile(): Promise<CredentialRecord[]> {
    const file = this.options.file;
    if (!file) throw new BrokerError('MG_ERR_BROKER_CONFIG', 'FileCredentialStore needs a file or records');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new BrokerError('MG_ERR_BROKER_CREDENTIALS', `${file}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new BrokerError(
        'MG_ERR_BROKER_CREDENTIALS',
        `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      );
    }
    return parseCredentials(doc, file);
  }
}

function toDoc(r: CredentialRecord): Record<string, unknown> {
  return {
    username: r.username,
    role: r.role,
    meters: r.meters,
    ...(r.passwordHash ? { password: r.passwordHash } : {}),
  };
}
