import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes for device credentials: scrypt (RFC 7914) from node:crypto, stored as
 * `scrypt$<log2 N>$<r>$<p>$<salt b64>$<key b64>` so the cost can rise later without breaking old
 * records. Verification compares in constant time.
 */
export const SCRYPT_DEFAULTS = { log2N: 14, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;
// RFC 7914 §2: memory is 128·N·r·p bytes; cap what a stored (untrusted) hash may make us allocate.
const MAX_LOG2N = 20;
const MAX_MEMORY = 256 * 1024 * 1024;

function scryptAsync(
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  opts: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, log2N: number = SCRYPT_DEFAULTS.log2N): Promise<string> {
  const { r, p, saltBytes, keyBytes } = SCRYPT_DEFAULTS;
  const salt = randomBytes(saltBytes);
  const key = await scryptAsync(password, salt, keyBytes, { N: 2 ** log2N, r, p, maxmem: MAX_MEMORY });
  return `scrypt$${log2N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export function parsePasswordHash(
  hash: string,
): { ok: true; value: ParsedHash } | { ok: false; reason: string } {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    return { ok: false, reason: 'expected scrypt$<log2N>$<r>$<p>$<salt>$<key>' };
  }
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n > 0)) {
    return { ok: false, reason: 'scrypt parameters must be positive integers' };
  }
  if (log2N > MAX_LOG2N || 128 * 2 ** log2N * r * p > MAX_MEMORY) {
    return { ok: false, reason: `scrypt cost too high (log2N ≤ ${MAX_LOG2N}, memory ≤ ${MAX_MEMORY} bytes)` };
  }
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return { ok: false, reason: 'salt or key too short' };
  return { ok: true, value: { log2N, r, p, salt, key } };
}

/** Constant-time check of a password against a stored hash; a malformed hash never matches. */
export async function verifyPassword(password: string | Buffer, hash: string): Promise<boolean> {
  const parsed = parsePasswordHash(hash);
  if (!parsed.ok) return false;
  const { log2N, r, p, salt, key } = parsed.value;
  const candidate = await scryptAsync(password, salt, key.length, {
    N: 2 ** log2N,
    r,
    p,
    maxmem: MAX_MEMORY,
  });
  return timingSafeEqual(candidate, key);
}

// Verified against when a user does not exist, so an unknown name costs as much as a wrong password.
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
