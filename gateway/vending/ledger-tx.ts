import { createHash, randomUUID } from 'node:crypto';
import { TID_MAX, tidFromTime } from '../../token-engine/index.js';
import { ApiError, type Principal } from '../auth/index.js';
import type { SqlExecutor } from '../db/index.js';
import { LedgerErrorCodes } from '../ledger/errors.js';
import type { MeterRow } from '../ledger/registry.js';
import type { RecoveryPolicy, TariffDefinition } from '../tariffs/index.js';

/** The meter row locked for one issuing transaction, joined with what pricing needs. */
export interface LockedMeter extends MeterRow {
  social: boolean;
  debt: number;
  currency: string;
  definition: TariffDefinition;
  policy: RecoveryPolicy;
  max_advance_units: number | null;
  outstanding_limit: number | null;
}

export interface IssuedToken {
  digits: string;
  tid: number | null;
  tokenClass: number;
  subclass: number;
  units: number;
  /** Key change sections: 1..4. */
  section?: number;
}

/** What a vend (or advance, management token, key change) answers; stored verbatim for replays. */
export interface IssueResult {
  vendId: string;
  requestId: string;
  kind: 'purchase' | 'advance' | 'management' | 'key-change';
  meterId: string;
  customerId: string;
  vendorId: string | null;
  issuedAt: string;
  currency: string;
  receipt: Record<string, unknown>;
  tokens: IssuedToken[];
  /** The first token's digits (the one to type for credit). */
  token: string;
  /** True when this answer replays an earlier identical request. */
  replayed?: boolean;
}

/**
 * Lock the meter and its customer for the rest of the transaction (SELECT … FOR UPDATE): every
 * issuing path for a meter is serialised here, which is what keeps TIDs strictly increasing and
 * the monthly position and debt consistent. Lock order is always meter → customer.
 */
export async function lockMeter(
  tx: SqlExecutor,
  meterId: string,
  lock = true,
  requestId: string | null = null,
): Promise<LockedMeter & { prev_hash: string | null; prev_receipt: IssueResult | null }> {
  const { rows } = await tx.query<
    MeterRow & {
      social: boolean;
      debt: number;
      currency: string;
      definition: TariffDefinition;
      c_mode: RecoveryPolicy['mode'] | null;
      c_value: number | null;
      p_mode: RecoveryPolicy['mode'] | null;
      p_value: number | null;
      max_advance_units: number | null;
      outstanding_limit: number | null;
      prev_hash: string | null;
      prev_receipt: IssueResult | null;
    }
  >(
    `SELECT m.*, c.social, c.debt, t.currency, t.definition,
            c.recovery_mode AS c_mode, c.recovery_value AS c_value,
            p.recovery_mode AS p_mode, p.recovery_value AS p_value, p.max_advance_units, p.outstanding_limit,
            pv.request_hash AS prev_hash, pv.receipt AS prev_receipt
       FROM meters m
       LEFT JOIN vends pv ON pv.request_id = $2
       JOIN customers c ON c.id = m.customer_id
       JOIN tariffs t ON t.id = m.tariff_id
       LEFT JOIN programmes p ON p.id = c.programme_id
      WHERE m.id = $1
      ${lock ? 'FOR UPDATE OF m, c' : ''}`,
    [meterId, requestId],
    { name: lock ? 'ledger-lock-meter' : 'ledger-read-meter' },
  );
  const r = rows[0];
  if (!r) throw new ApiError(404, LedgerErrorCodes.unknownMeter, `unknown meter ${JSON.stringify(meterId)}`);
  const mode = r.c_mode ?? r.p_mode ?? 'percent';
  const value = r.c_mode ? r.c_value : r.p_mode ? r.p_value : 25;
  const policy: RecoveryPolicy = mode === 'full' ? { mode } : { mode, value: value ?? 25 };
  return { ...r, policy };
}

export function requestHash(parts: Record<string, unknown>): string {
  const keys = Object.keys(parts).sort();
  return createHash('sha256')
    .update(JSON.stringify(keys.map((k) => [k, parts[k] ?? null])))
    .digest('hex');
}

/** The stored answer of an earlier request, or a 409 when the payload differs. */
export function replayOf(
  requestId: string,
  hash: string,
  prevHash: string,
  receipt: IssueResult,
): IssueResult {
  if (prevHash !== hash) {
    throw new ApiError(
      409,
      LedgerErrorCodes.idempotencyConflict,
      `requestId ${JSON.stringify(requestId)} was already used for a different request`,
    );
  }
  return { ...receipt, replayed: true };
}

/** An earlier result for this requestId, or undefined; a different payload under it is a 409. */
export async function findPrevious(
  tx: SqlExecutor,
  requestId: string,
  hash: string,
): Promise<IssueResult | undefined> {
  const { rows } = await tx.query<{ request_hash: string; receipt: IssueResult }>(
    'SELECT request_hash, receipt FROM vends WHERE request_id = $1',
    [requestId],
  );
  const r = rows[0];
  if (!r) return undefined;
  if (r.request_hash !== hash) {
    throw new ApiError(
      409,
      LedgerErrorCodes.idempotencyConflict,
      `requestId ${JSON.stringify(requestId)} was already used for a different request`,
    );
  }
  return { ...r.receipt, replayed: true };
}

/**
 * The next TID for a meter (IEC 62055-41: minutes since the base date): the clock's minute, or
 * last TID + 1 when the clock has not moved on, so a meter never sees one TID twice. Refuses a
 * TID past the 24-bit range (base-date rollover: key change needed) or past the key's KEN.
 */
export function nextTid(m: MeterRow, now: Date): number {
  let tid: number;
  try {
    tid = tidFromTime(now, m.base_date);
  } catch {
    throw new ApiError(
      422,
      LedgerErrorCodes.tidRollover,
      `meter ${m.id}: base date ${m.base_date} has rolled over; a key change to a later base date (RO=1) is needed`,
    );
  }
  if (m.last_tid !== null && tid <= m.last_tid) tid = m.last_tid + 1;
  if (tid > TID_MAX) {
    throw new ApiError(
      422,
      LedgerErrorCodes.tidRollover,
      `meter ${m.id}: TID range of base date ${m.base_date} exhausted; key change needed`,
    );
  }
  if (tid >>> 16 > m.ken) {
    throw new ApiError(
      422,
      LedgerErrorCodes.keyExpired,
      `meter ${m.id}: key expired (KEN ${m.ken}); a key change is needed`,
    );
  }
  return tid;
}

export function monthKey(now: Date): string {
  return now.toISOString().slice(0, 7);
}

export function newVendId(): string {
  return randomUUID();
}

export interface VendRecord {
  result: IssueResult;
  requestHash: string;
  principal: Principal;
  money?: number;
  tax?: number;
  fixed?: number;
  recovered?: number;
  energy?: number;
  units?: number;
}

/** $1..$16 of every statement that writes a vends row, in its column order. */
function vendRowParams(rec: VendRecord): unknown[] {
  const r = rec.result;
  return [
    r.vendId,
    r.requestId,
    rec.requestHash,
    r.kind,
    r.meterId,
    r.customerId,
    r.vendorId,
    rec.principal.id,
    rec.money ?? 0,
    rec.tax ?? 0,
    rec.fixed ?? 0,
    rec.recovered ?? 0,
    rec.energy ?? 0,
    rec.units ?? 0,
    JSON.stringify(r),
    r.issuedAt,
  ];
}

/** Insert the vend row (with its stored answer) and its tokens. */
export async function recordIssue(tx: SqlExecutor, rec: VendRecord, meter: MeterRow): Promise<void> {
  const r = rec.result;
  await tx.query(
    `INSERT INTO vends (id, request_id, request_hash, kind, meter_id, customer_id, vendor_id, principal_id,
                        money, tax, fixed_charges, debt_recovered, energy_money, units, receipt, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    vendRowParams(rec),
  );
  for (const t of r.tokens) {
    await tx.query(
      `INSERT INTO tokens (vend_id, meter_id, tid, base_date, krn, token_class, subclass, digits, units)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.vendId, r.meterId, t.tid, meter.base_date, meter.krn, t.tokenClass, t.subclass, t.digits, t.units],
    );
  }
}

export interface IssueWrite {
  /** New last TID of the meter (null: unchanged). */
  lastTid?: number | null;
  /** New monthly position (null: unchanged). */
  position?: { month: string; units: number; fixed: number } | null;
  /** Payment row amount (purchases). */
  payment?: number;
  /** Recovery row amount (taken from a purchase, lowers the debt). */
  recovery?: number;
  /** Advance row (raises the debt). */
  advance?: { units: number; value: number };
  auditAction: string;
  auditDetail: Record<string, unknown>;
}

/**
 * Every row of one issue in ONE statement (data-modifying CTEs; foreign keys are checked at the
 * end of the statement): vend, tokens, meter state, payment, recovery/advance and debt, audit.
 * One round trip instead of eight is what lets a locked meter row be held for a few milliseconds.
 */
export async function writeIssue(
  tx: SqlExecutor,
  rec: VendRecord,
  meter: MeterRow,
  w: IssueWrite,
): Promise<void> {
  const r = rec.result;
  const debtDelta = (w.advance ? cents(w.advance.value) : 0) - (w.recovery ? cents(w.recovery) : 0);
  await tx.query(
    `WITH v AS (
       INSERT INTO vends (id, request_id, request_hash, kind, meter_id, customer_id, vendor_id, principal_id,
                          money, tax, fixed_charges, debt_recovered, energy_money, units, receipt, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id),
     t AS (
       INSERT INTO tokens (vend_id, meter_id, tid, base_date, krn, token_class, subclass, digits, units)
       SELECT $1, $5, x.tid, $17, $18, x.token_class, x.subclass, x.digits, x.units
         FROM jsonb_to_recordset($19::jsonb) AS x(tid integer, token_class integer, subclass integer, digits text, units numeric)),
     m AS (
       UPDATE meters SET last_tid = COALESCE($20, last_tid),
              position_month = COALESCE($21, position_month),
              position_units = COALESCE($22, position_units),
              position_fixed = COALESCE($23, position_fixed)
        WHERE id = $5),
     p AS (INSERT INTO payments (vend_id, customer_id, vendor_id, amount) SELECT $1, $6, $7, $24 WHERE $24::numeric IS NOT NULL),
     r AS (INSERT INTO recoveries (vend_id, customer_id, amount) SELECT $1, $6, $25 WHERE $25::numeric IS NOT NULL),
     a AS (INSERT INTO advances (vend_id, customer_id, meter_id, units, value) SELECT $1, $6, $5, $26, $27 WHERE $26::numeric IS NOT NULL),
     c AS (UPDATE customers SET debt = debt + $28 WHERE id = $6 AND $28::numeric <> 0),
     l AS (INSERT INTO audit_log (actor, action, subject, detail) VALUES ($8, $29, $5, $30))
     SELECT 1`,
    [
      ...vendRowParams(rec),
      meter.base_date,
      meter.krn,
      JSON.stringify(
        r.tokens.map((t) => ({
          tid: t.tid,
          token_class: t.tokenClass,
          subclass: t.subclass,
          digits: t.digits,
          units: t.units,
        })),
      ),
      w.lastTid ?? null,
      w.position?.month ?? null,
      w.position?.units ?? null,
      w.position?.fixed ?? null,
      w.payment ?? null,
      w.recovery ?? null,
      w.advance?.units ?? null,
      w.advance?.value ?? null,
      money(debtDelta),
      w.auditAction,
      JSON.stringify(w.auditDetail),
    ],
    { name: 'ledger-write-issue', lastInTransaction: true },
  );
}

export async function audit(
  tx: SqlExecutor,
  actor: Principal | string,
  action: string,
  subject: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await tx.query('INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)', [
    typeof actor === 'string' ? actor : actor.id,
    action,
    subject,
    JSON.stringify(detail),
  ]);
}

export const cents = (money: number): number => Math.round(money * 100);
export const money = (c: number): number => Math.round(c) / 100;
