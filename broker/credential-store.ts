import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { isValidId } from '../protocol/index.js';
import { BrokerError } from './errors.js';
import { isRole, ROLES, type Role } from './identity.js';
import { parsePasswordHash } from './password-hash.js';
import { clientIdHead } from './client-id-policy.js';

/** One device or service allowed to connect. The username is the device id. */
export interface CredentialRecord {
  readonly username: string;
  readonly role: Role;
  /** Meters an edge serves; ignored for other roles (a meter serves itself). */
  readonly meters: readonly string[];
  /** `scrypt$…` (see password-hash.ts); absent when the device authenticates only by certificate. */
  readonly passwordHash?: string;
  /**
   * MQTT client ids this identity may use besides its own id and `{id}:{anything}` (see
   * client-id-policy.ts): exact ids, or a prefix ending in `*` (e.g. `metergate-gateway-*`).
   */
  readonly clientIds?: readonly string[];
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
  /**
   * The username whose `clientIds` list claims this client id (exact entry first, else the longest
   * `prefix*` entry), or undefined. Optional: a store without it only has the naming rule.
   */
  clientIdOwner?(clientId: string): Promise<string | undefined>;
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
      if (!['username', 'role', 'meters', 'password', 'clientIds'].includes(k))
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
    const clientIds = r.clientIds ?? [];
    if (!Array.isArray(clientIds) || !clientIds.every(isClientIdEntry)) {
      return void errors.push(
        `${at}/clientIds must be a list of MQTT client ids (1–256 characters, no NUL, no wildcard but a final *)`,
      );
    }
    out.push({
      username: r.username,
      role: r.role,
      meters: [...(meters as string[])],
      ...(r.password !== undefined ? { passwordHash: r.password as string } : {}),
      ...(clientIds.length ? { clientIds: [...(clientIds as string[])] } : {}),
    });
  });
  checkClientIdClaims(out, errors, source);
  if (errors.length) throw new BrokerError('MG_ERR_BROKER_CREDENTIALS', errors.join('; '));
  return out;
}

function isClientIdEntry(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 256 || v.includes('\u0000')) return false;
  const star = v.indexOf('*');
  return star === -1 || (star === v.length - 1 && v.length > 1);
}

/**
 * A listed client id may not be claimed twice, nor name another user (its `{user}` or
 * `{user}:…` form belongs to that user by the naming rule).
 */
function checkClientIdClaims(records: CredentialRecord[], errors: string[], source: string): void {
  const users = new Set(records.map((r) => r.username));
  const claimedBy = new Map<string, string>();
  for (const r of records) {
    for (const c of r.clientIds ?? []) {
      const other = claimedBy.get(c);
      if (other !== undefined && other !== r.username)
        errors.push(
          `${source}: client id ${JSON.stringify(c)} is claimed by both ${other} and ${r.username}`,
        );
      claimedBy.set(c, r.username);
      const head = clientIdHead(c.endsWith('*') ? c.slice(0, -1) : c);
      if (!c.endsWith('*') && head !== r.username && users.has(head))
        errors.push(`${source}: client id ${JSON.stringify(c)} of ${r.username} belongs to user ${head}`);
    }
  }
}

/** The reference store: records held in memory, from a list or a YAML/JSON file read at start(). */
export class FileCredentialStore implements CredentialStore {
  private records = new Map<string, CredentialRecord>();
  private exactClientIds = new Map<string, string>();
  /** `prefix*` entries, longest prefix first. */
  private prefixClientIds: [string, string][] = [];

  constructor(private readonly options: { file?: string; records?: CredentialRecord[] }) {}

  async start(): Promise<void> {
    const records = this.options.records
      ? parseCredentials({ users: this.options.records.map(toDoc) }, 'records')
      : await this.readFile();
    const exact = new Map<string, string>();
    const prefixes: [string, string][] = [];
    for (const r of records) {
      for (const c of r.clientIds ?? []) {
        if (c.endsWith('*')) prefixes.push([c.slice(0, -1), r.username]);
        else exact.set(c, r.username);
      }
    }
    prefixes.sort((a, b) => b[0].length - a[0].length);
    this.records = new Map(records.map((r) => [r.username, r]));
    this.exactClientIds = exact;
    this.prefixClientIds = prefixes;
  }

  async clientIdOwner(clientId: string): Promise<string | undefined> {
    const exact = this.exactClientIds.get(clientId);
    if (exact !== undefined) return exact;
    for (const [prefix, user] of this.prefixClientIds) if (clientId.startsWith(prefix)) return user;
    return undefined;
  }

  /** Re-read the file (e.g. on SIGHUP); on a bad file the old records stay in force. */
  async reload(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    this.records.clear();
    this.exactClientIds.clear();
    this.prefixClientIds = [];
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
    ...(r.clientIds ? { clientIds: r.clientIds } : {}),
  };
}
