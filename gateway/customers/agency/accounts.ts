import { randomUUID } from 'node:crypto';
import { getContract, getCustomer, type CustomerDetail } from '../../billing/index.js';
import { GatewayError, type OutboxMessageInput, type SqlDatabase } from '../../platform/index.js';
import type { ProofOfWorkCaptcha } from './captcha.js';
import './errors.js';
import { agencyMessage, type AgencyLanguage } from './messages.js';
import { generatePassword, hashPassword, passwordWeakness, verifyPassword } from './passwords.js';

export type SendMessage = (m: OutboxMessageInput) => Promise<{ id: string; status: string }>;

export interface RegisterInput {
  service: 'electricity' | 'water' | 'both';
  username: string;
  email: string;
  civility: 'M' | 'Mme';
  lastName: string;
  firstName: string;
  mobile: string;
  landline?: string;
  cin: string;
  birthDate: string;
  customerNumber: string;
  contractNumber: string;
  captcha: string;
  delivery?: 'sms' | 'email';
  customerType?: 'individual' | 'business';
}

export interface AgencyUser {
  id: string;
  username: string;
  customerId: string;
  service: string;
  email: string | null;
  mobile: string;
  language: AgencyLanguage;
  mustChangePassword: boolean;
}

interface UserRow extends AgencyUser {
  passwordHash: string;
  failedAttempts: number;
  lockedUntil: Date | null;
}

/** Wrong passwords before a long lock (the owner gets out of it with a reset by SMS). */
export const LOCK_AFTER_FAILURES = 20;
/** Wrong passwords answered at once; after them each try waits 2^(n-FREE) s, at most MAX_DELAY_S. */
const FREE_FAILURES = 5;
const MAX_DELAY_S = 60;
const LOCK_MINUTES = 30;
/** Failed sign-ins per client address per window (any usernames) before it is slowed down. */
const CLIENT_FAILURES = { max: 100, windowMs: 15 * 60_000 };

const USER_COLUMNS = `id, username, customer_id AS "customerId", service, email, mobile, language,
  must_change_password AS "mustChangePassword", password_hash AS "passwordHash",
  failed_attempts AS "failedAttempts", locked_until AS "lockedUntil"`;

const digits = (phone: string | null | undefined) => (phone ?? '').replace(/\D/g, '').slice(-9);
const mask = (to: string) =>
  to.includes('@') ? to.replace(/^(.).*(@.*)$/, '$1•••$2') : `${to.slice(0, 4)}•••••${to.slice(-2)}`;
const isUnique = (err: unknown) => (err as { code?: string }).code === '23505';

/**
 * Agency accounts: self-registration checked against the customer registry, one generated password
 * sent through the outbox (never logged nor answered), sign-in with progressive delay and a lock
 * the owner leaves by a reset by SMS, and the forced change of the temporary password.
 */
export class AgencyAccounts {
  private readonly clientFailures = new Map<string, { n: number; since: number }>();
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly o: {
      db: SqlDatabase;
      send: SendMessage;
      captcha: ProofOfWorkCaptcha;
      agencyUrl: string;
      now: () => Date;
    },
  ) {}

  checkCaptcha(answer: string): void {
    if (!this.o.captcha.verify(answer)) throw new GatewayError('MG_ERR_AGENCY_BAD_CAPTCHA');
  }

  async register(input: RegisterInput): Promise<{
    username: string;
    delivery: 'sms' | 'email';
    sentTo: string;
    firstBillNextMonth: boolean;
  }> {
    this.checkCaptcha(input.captcha);
    if (input.customerType === 'business') throw new GatewayError('MG_ERR_AGENCY_BUSINESS');
    const { db } = this.o;
    const taken = await db.query(`SELECT 1 FROM agency_users WHERE lower(username) = lower($1)`, [
      input.username,
    ]);
    if (taken.rows.length) throw new GatewayError('MG_ERR_AGENCY_USERNAME_TAKEN');
    const { customer, contractNumber } = await this.matchRegistry(input);
    const existing = await db.query(`SELECT 1 FROM agency_users WHERE customer_id = $1`, [customer.id]);
    if (existing.rows.length) throw new GatewayError('MG_ERR_AGENCY_ACCOUNT_EXISTS');

    const password = generatePassword();
    const mobile = customer.mobile ?? input.mobile;
    const byEmail =
      input.delivery === 'email' &&
      !!customer.email &&
      customer.email.toLowerCase() === input.email.toLowerCase();
    const id = randomUUID();
    try {
      await db.query(
        `INSERT INTO agency_users (id, username, customer_id, service, email, mobile, language, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          input.username,
          customer.id,
          input.service,
          input.email,
          mobile,
          customer.language,
          await hashPassword(password),
        ],
      );
    } catch (err) {
      if (isUnique(err)) throw new GatewayError('MG_ERR_AGENCY_USERNAME_TAKEN');
      throw err;
    }
    const to = byEmail ? customer.email! : mobile;
    await this.o.send({
      channel: byEmail ? 'email' : 'sms',
      to,
      customerId: customer.id,
      dedupeKey: `agency-password:${id}`,
      ...agencyMessage('agency_password', customer.language, {
        username: input.username,
        password,
        url: this.o.agencyUrl,
      }),
    });
    const contract = await getContract(db, contractNumber);
    const month = this.o.now().toISOString().slice(0, 7);
    return {
      username: input.username,
      delivery: byEmail ? 'email' : 'sms',
      sentTo: mask(to),
      firstBillNextMonth: !!contract && contract.subscribedAt.slice(0, 7) === month,
    };
  }

  /** The customer whose registry record matches every detail; one generic error otherwise. */
  private async matchRegistry(
    input: RegisterInput,
  ): Promise<{ customer: CustomerDetail; contractNumber: string }> {
    const mismatch = () => new GatewayError('MG_ERR_AGENCY_MISMATCH');
    const { rows } = await this.o.db.query<{ id: string }>(
      `SELECT id FROM customers WHERE customer_number = $1`,
      [input.customerNumber.trim().toUpperCase()],
    );
    if (!rows[0]) throw mismatch();
    const c = await getCustomer(this.o.db, rows[0].id);
    const contract = c.contracts.find(
      (k) => k.number === input.contractNumber || k.meter === input.contractNumber,
    );
    const ok =
      !!c.cin &&
      c.cin.toUpperCase() === input.cin.trim().toUpperCase() &&
      (!c.birthDate || c.birthDate === input.birthDate) &&
      (!c.mobile || digits(c.mobile) === digits(input.mobile)) &&
      !!contract &&
      (input.service === 'both' || contract.service === input.service);
    if (!ok) throw mismatch();
    return { customer: c, contractNumber: contract.number };
  }

  private async byUsername(username: string): Promise<UserRow | undefined> {
    const { rows } = await this.o.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM agency_users WHERE lower(username) = lower($1)`,
      [username],
    );
    return rows[0];
  }

  async byId(id: string): Promise<AgencyUser | undefined> {
    const { rows } = await this.o.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM agency_users WHERE id = $1`,
      [id],
    );
    if (!rows[0]) return undefined;
    const { passwordHash: _h, failedAttempts: _f, lockedUntil: _l, ...user } = rows[0];
    return user;
  }

  /** Checks a sign-in; throws BAD_LOGIN, SLOW_DOWN (with the wait) or LOCKED. */
  async login(username: string, password: string, client: string): Promise<AgencyUser> {
    const now = this.o.now().getTime();
    const clientState = this.clientFailures.get(client);
    if (
      clientState &&
      now - clientState.since < CLIENT_FAILURES.windowMs &&
      clientState.n >= CLIENT_FAILURES.max
    ) {
      const seconds = Math.ceil((clientState.since + CLIENT_FAILURES.windowMs - now) / 1000);
      throw new GatewayError('MG_ERR_AGENCY_SLOW_DOWN', { params: { seconds } });
    }
    const user = await this.byUsername(username);
    if (!user) {
      // The same work as a real check, so timing does not tell which usernames exist.
      this.dummyHash ??= hashPassword(generatePassword());
      await verifyPassword(password, await this.dummyHash);
      this.failClient(client, now);
      throw new GatewayError('MG_ERR_AGENCY_BAD_LOGIN');
    }
    const locked = user.lockedUntil ? new Date(user.lockedUntil).getTime() : 0;
    if (locked > now) {
      if (user.failedAttempts >= LOCK_AFTER_FAILURES) throw new GatewayError('MG_ERR_AGENCY_LOCKED');
      throw new GatewayError('MG_ERR_AGENCY_SLOW_DOWN', {
        params: { seconds: Math.ceil((locked - now) / 1000) },
      });
    }
    if (await verifyPassword(password, user.passwordHash)) {
      await this.o.db.query(
        `UPDATE agency_users SET failed_attempts = 0, locked_until = NULL WHERE id = $1`,
        [user.id],
      );
      this.clientFailures.delete(client);
      return (await this.byId(user.id))!;
    }
    const failures = user.failedAttempts + 1;
    const until =
      failures >= LOCK_AFTER_FAILURES
        ? new Date(now + LOCK_MINUTES * 60_000)
        : failures >= FREE_FAILURES
          ? new Date(now + Math.min(2 ** (failures - FREE_FAILURES), MAX_DELAY_S) * 1000)
          : null;
    await this.o.db.query(`UPDATE agency_users SET failed_attempts = $2, locked_until = $3 WHERE id = $1`, [
      user.id,
      failures,
      until,
    ]);
    this.failClient(client, now);
    throw new GatewayError(
      failures >= LOCK_AFTER_FAILURES ? 'MG_ERR_AGENCY_LOCKED' : 'MG_ERR_AGENCY_BAD_LOGIN',
    );
  }

  private failClient(client: string, now: number): void {
    const s = this.clientFailures.get(client);
    if (!s || now - s.since >= CLIENT_FAILURES.windowMs)
      this.clientFailures.set(client, { n: 1, since: now });
    else s.n++;
    if (this.clientFailures.size > 50_000) this.clientFailures.clear();
  }

  async changePassword(userId: string, old: string, next: string): Promise<void> {
    const { rows } = await this.o.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM agency_users WHERE id = $1`,
      [userId],
    );
    const user = rows[0];
    if (!user) throw new GatewayError('MG_ERR_AGENCY_NOT_SIGNED_IN');
    if (!(await verifyPassword(old, user.passwordHash)))
      throw new GatewayError('MG_ERR_AGENCY_WRONG_PASSWORD');
    if (passwordWeakness(next, { username: user.username, old }))
      throw new GatewayError('MG_ERR_AGENCY_WEAK_PASSWORD');
    await this.o.db.query(
      `UPDATE agency_users SET password_hash = $2, must_change_password = false, password_changed_at = $3,
         failed_attempts = 0, locked_until = NULL WHERE id = $1`,
      [userId, await hashPassword(next), this.o.now()],
    );
  }

  /**
   * "Forgotten username or password": when the customer number and CIN match an account, a new
   * temporary password (and the username) goes to the account's mobile; the lock is lifted and
   * every session closed. The answer is the same whether or not they matched.
   */
  async recover(input: {
    customerNumber: string;
    cin: string;
    captcha: string;
  }): Promise<string | undefined> {
    this.checkCaptcha(input.captcha);
    const { rows } = await this.o.db.query<UserRow & { cin: string | null }>(
      `SELECT u.id, u.username, u.mobile, u.language, u.customer_id AS "customerId", c.cin
         FROM agency_users u JOIN customers c ON c.id = u.customer_id WHERE c.customer_number = $1`,
      [input.customerNumber.trim().toUpperCase()],
    );
    const user = rows[0];
    if (!user || !user.cin || user.cin.toUpperCase() !== input.cin.trim().toUpperCase()) return undefined;
    const password = generatePassword();
    await this.o.db.query(
      `UPDATE agency_users SET password_hash = $2, must_change_password = true, failed_attempts = 0, locked_until = NULL
        WHERE id = $1`,
      [user.id, await hashPassword(password)],
    );
    await this.o.db.query(`DELETE FROM agency_sessions WHERE user_id = $1`, [user.id]);
    await this.o.send({
      channel: 'sms',
      to: user.mobile,
      customerId: user.customerId,
      ...agencyMessage('agency_reset', user.language, {
        username: user.username,
        password,
        url: this.o.agencyUrl,
      }),
    });
    return user.id;
  }
}
