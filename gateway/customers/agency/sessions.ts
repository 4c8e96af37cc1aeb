import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SqlDatabase } from '../../platform/index.js';

/**
 * Agency sessions: a random 256-bit id in an HMAC-signed, HttpOnly, SameSite=Strict cookie (Secure
 * over HTTPS and on the loopback host, where browsers accept it over plain HTTP). The database keeps
 * only the SHA-256 of the id, so a leaked table holds no usable session. Signing out, a password
 * change or a reset deletes the user's sessions.
 */
export const SESSION_COOKIE = 'mg_agency';
const SESSION_HOURS = 12;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export class AgencySessions {
  constructor(private readonly o: { db: SqlDatabase; secret: Buffer; now: () => Date }) {}

  private sign(id: string): string {
    return createHmac('sha256', this.o.secret).update(id).digest('base64url');
  }

  async open(userId: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    const expires = new Date(this.o.now().getTime() + SESSION_HOURS * 3_600_000);
    await this.o.db.query(`INSERT INTO agency_sessions (id_hash, user_id, expires_at) VALUES ($1, $2, $3)`, [
      sha(id),
      userId,
      expires,
    ]);
    reply.header('set-cookie', cookie(`${id}.${this.sign(id)}`, SESSION_HOURS * 3600, secureFor(request)));
  }

  /** The signed-in user's id, or undefined (no cookie, bad signature, expired or closed). */
  async userOf(request: FastifyRequest): Promise<string | undefined> {
    const id = this.idOf(request);
    if (!id) return undefined;
    const { rows } = await this.o.db.query<{ user_id: string }>(
      `SELECT user_id FROM agency_sessions WHERE id_hash = $1 AND expires_at > $2`,
      [sha(id), this.o.now()],
    );
    return rows[0]?.user_id;
  }

  async close(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const id = this.idOf(request);
    if (id) await this.o.db.query(`DELETE FROM agency_sessions WHERE id_hash = $1`, [sha(id)]);
    reply.header('set-cookie', cookie('', 0, secureFor(request)));
  }

  /** Every session of a user but the current one (after a password change). */
  async closeOthers(userId: string, request: FastifyRequest | undefined): Promise<void> {
    const keep = request ? this.idOf(request) : undefined;
    await this.o.db.query(`DELETE FROM agency_sessions WHERE user_id = $1 AND id_hash <> $2`, [
      userId,
      keep ? sha(keep) : '',
    ]);
  }

  private idOf(request: FastifyRequest): string | undefined {
    const raw = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!raw) return undefined;
    const dot = raw.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const id = raw.slice(0, dot);
    const mac = Buffer.from(raw.slice(dot + 1));
    const expected = Buffer.from(this.sign(id));
    return mac.length === expected.length && timingSafeEqual(mac, expected) ? id : undefined;
  }
}

function secureFor(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  const host = (request.hostname ?? '').replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

function cookie(value: string, maxAge: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAge}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * CSRF: state-changing requests must come from the agency's own pages. Besides the SameSite=Strict
 * cookie, a request whose Origin (or Sec-Fetch-Site) says it comes from another site is refused.
 */
export function crossSite(request: FastifyRequest): boolean {
  if (['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return false;
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (!origin || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}
