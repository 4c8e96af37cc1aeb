import { createHash, randomUUID } from 'node:crypto';
import { TID_MAX, tidFromTime } from '../../../token-engine/index.js';
import { GatewayError, type Principal } from '../../platform/index.js';
import type { SqlExecutor } from '../../platform/index.js';
import type { MeterRow } from '../ledger/registry.js';
import type { RecoveryPolicy, TariffDefinition } from '../../billing/index.js';
import { LedgerError } from '../ledger/errors.js';

/** The meter row locked for one issuing transaction, joined with what pricing needs. */
export interface LockedMeter extends MeterRow {
  social: boolean;
  debt: number;
  currency: string;
  definition: TariffDefinition;
  policy: RecoveryPolicy;
  max_advance_units: number | null;
  outstanding_limit: number | null;
  /** Monthly free basic allowance of the customer's programme (0: none). */
  fbe_units: number;
  /** This month's free basic electricity already issued for the meter. */
  fbe_granted: boolean;
  /** The calling vendor's account, when the vendor has one (float, commission, hours). */
  vendor: VendorRow | null;
  /** The meter's key change not yet confirmed, if any. */
  key_change: PendingKeyChange | null;
  /** The meter that replaced this one in a meter exchange (its credit moved there), if any. */
  replaced_by: string | null;
}

export interface VendorRow {
  id: string;
  name: string;
  kind: 'agency' | 'shop' | 'bank' | 'mobile';
  agency_id: string | null;
  mode: 'float' | 'credit';
  balance: number;
  credit_limit: number;
  commission_percent: number;
  hours: OpeningHours | null;
}

export interface OpeningHours {
  /** 'HH:MM' local time. */
  open: string;
  close: string;
  /** Days open, 0 = Sunday (default every day). */
  days?: number[];
  /** Local time = UTC + this (default 60: Morocco). */
  utcOffsetMinutes?: number;
}

export interface KeyChangeTarget {
  krn: number;
  ken: number;
  baseDate: 1993 | 2014 | 2035;
  keyRef: string;
  ro: 0 | 1;
}

export interface PendingKeyChange {
  id: string;
  status: 'scheduled' | 'issued';
  target: KeyChangeTarget;
  /** The key change token digits, once issued (re-issued as they are on retry). */
  tokens: string[] | null;
  new_last_tid: number | null;
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
  kind:
    | 'purchase'
    | 'advance'
    | 'management'
    | 'key-change'
    | 'reversal'
    | 'free-basic'
    | 'credit-note'
    | 'credit-transfer';
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
  /** This month's free basic electricity, issued with the purchase as its own vend and token. */
  freeBasic?: { vendId: string; token: string; units: number; tid: number | null };
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
  /** The requestId namespace: the vendor's id, '' for staff. */
  scope = '',
  /** Calendar month (YYYY-MM) whose free basic grant is looked up. */
  month: string | null = null,
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
      fbe_units: number | null;
      fbe_granted: boolean;
      vendor: VendorRow | null;
      key_change: PendingKeyChange | null;
      replaced_by: string | null;
      prev_hash: string | null;
      prev_receipt: IssueResult | null;
    }
  >(
    `SELECT m.*, c.social, c.debt, t.currency, t.definition,
            c.recovery_mode AS c_mode, c.recovery_value AS c_value,
            p.recovery_mode AS p_mode, p.recovery_value AS p_value, p.max_advance_units, p.outstanding_limit,
            pv.request_hash AS prev_hash, pv.receipt AS prev_receipt,
            p.fbe_units, fb.meter_id IS NOT NULL AS fbe_granted, ct.to_meter_id AS replaced_by,
            CASE WHEN vd.id IS NULL THEN NULL ELSE to_jsonb(vd) END AS vendor,
            CASE WHEN kc.id IS NULL THEN NULL ELSE
              jsonb_build_object('id', kc.id, 'status', kc.status, 'target', kc.target, 'tokens', kc.tokens,
                                 'new_last_tid', kc.new_last_tid) END AS key_change
       FROM meters m
       LEFT JOIN vends pv ON pv.request_id = $2 AND pv.request_scope = $3
       JOIN customers c ON c.id = m.customer_id
       JOIN tariffs t ON t.id = m.tariff_id
       LEFT JOIN programmes p ON p.id = c.programme_id
       LEFT JOIN free_basic fb ON fb.meter_id = m.id AND fb.month = $4
       LEFT JOIN vendors vd ON vd.id = $3
       LEFT JOIN key_changes kc ON kc.meter_id = m.id AND kc.status <> 'confirmed'
       LEFT JOIN credit_transfers ct ON ct.from_meter_id = m.id
      WHERE m.id = $1
      ${lock ? 'FOR UPDATE OF m, c' : ''}`,
    [meterId, requestId, scope, month],
    { name: lock ? 'ledger-lock-meter' : 'ledger-read-meter' },
  );
  const r = rows[0];
  if (!r) throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId } });
  const mode = r.c_mode ?? r.p_mode ?? 'percent';
  const value = r.c_mode ? r.c_value : r.p_mode ? r.p_value : 25;
  const policy: RecoveryPolicy = mode === 'full' ? { mode } : { mode, value: value ?? 25 };
  const vendor = r.vendor
    ? {
        ...r.vendor,
        balance: Number(r.vendor.balance),
        credit_limit: Number(r.vendor.credit_limit),
        commission_percent: Number(r.vendor.commission_percent),
      }
    : null;
  return { ...r, policy, vendor, fbe_units: Number(r.fbe_units ?? 0) };
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
    throw new LedgerError('MG_ERR_VEND_REQUEST_ID_REUSED', {
      details: { reason: `requestId ${JSON.stringify(requestId)} was already used for a different request` },
    });
  }
  return { ...receipt, replayed: true };
}

/** An earlier result for this requestId, or undefined; a different payload under it is a 409. */
export async function findPrevious(
  tx: SqlExecutor,
  requestId: string,
  hash: string,
  scope = '',
): Promise<IssueResult | undefined> {
  const { rows } = await tx.query<{ request_hash: string; receipt: IssueResult }>(
    'SELECT request_hash, receipt FROM vends WHERE request_id = $1 AND request_scope = $2',
    [requestId, scope],
  );
  const r = rows[0];
  if (!r) return undefined;
  if (r.request_hash !== hash) {
    throw new LedgerError('MG_ERR_VEND_REQUEST_ID_REUSED', {
      details: { reason: `requestId ${JSON.stringify(requestId)} was already used for a different request` },
    });
  }
  return { ...r.receipt, replayed: true };
}

/**
 * The next TID for a meter (IEC 62055-41: minutes since the base date): the clock's minute, or
 * last TID + 1 when the clock has not moved on, so a meter never sees one TID twice. Refuses a
 * TID past the 24-bit range (base-date rollover: key change needed) or past the key's KEN, and any
 * token for a meter exchanged out (its credit moved to the meter that replaced it).
 */
export function nextTid(m: MeterRow & { replaced_by?: string | null }, now: Date): number {
  requireSts(m);
  // An exchanged-out meter is no longer on the wall: no token of any kind is minted for it.
  if (m.replaced_by) {
    throw new LedgerError('MG_ERR_METER_REPLACED', { params: { meterId: m.id, newMeterId: m.replaced_by } });
  }
  let tid: number;
  try {
    tid = tidFromTime(now, m.base_date);
  } catch {
    throw new LedgerError('MG_ERR_VEND_TID_ROLLOVER', {
      params: { meterId: m.id },
      details: {
        reason: `meter ${m.id}: base date ${m.base_date} has rolled over; a key change to a later base date (RO=1) is needed`,
      },
    });
  }
  if (m.last_tid !== null && tid <= m.last_tid) tid = m.last_tid + 1;
  if (tid > TID_MAX) {
    throw new LedgerError('MG_ERR_VEND_TID_ROLLOVER', {
      params: { meterId: m.id },
      details: {
        reason: `meter ${m.id}: TID range of base date ${m.base_date} exhausted; key change needed`,
      },
    });
  }
  if (tid >>> 16 > m.ken) {
    throw new LedgerError('MG_ERR_VEND_KEY_EXPIRED', {
      params: { meterId: m.id },
      details: { reason: `meter ${m.id}: key expired (KEN ${m.ken}); a key change is needed` },
    });
  }
  return tid;
}

/** STS-only operations (TIDs, management and key change tokens) refuse an OpenPAYGO device. */
export function requireSts(m: Pick<MeterRow, 'id' | 'token_scheme'>): void {
  if (m.token_scheme === 'openpaygo') {
    throw new LedgerError('MG_ERR_VEND_SCHEME', { params: { meterId: m.id, scheme: 'openpaygo' } });
  }
}

export function monthKey(now: Date): string {
  return now.toISOString().slice(0, 7);
}

export function newVendId(): string {
  return randomUUID();
}

/** The fields every issue answer starts with: who, what meter, when, in which currency. */
export function issueHead(
  kind: IssueResult['kind'],
  meter: Pick<LockedMeter, 'id' | 'customer_id' | 'currency'>,
  requestId: string,
  vendorId: string | null,
  at: Date,
  vendId: string = newVendId(),
): Pick<
  IssueResult,
  'vendId' | 'requestId' | 'kind' | 'meterId' | 'customerId' | 'vendorId' | 'issuedAt' | 'currency'
> {
  return {
    vendId,
    requestId,
    kind,
    meterId: meter.id,
    customerId: meter.customer_id,
    vendorId,
    issuedAt: at.toISOString(),
    currency: meter.currency,
  };
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
  /** Token rows to insert when not every token of the answer is new (re-issued key change tokens). */
  tokenRows?: IssuedToken[];
  /** Base date and KRN the new tokens were minted under (default the meter's). */
  tokenKey?: { baseDate: number; krn: number };
  /** Payment refunded (reversal: negative amount, and where the money goes). */
  refundTo?: 'vendor' | 'customer';
  /** The vend this one reverses. */
  reversalOf?: string;
  /** The purchase this credit note refunds. */
  creditNoteOf?: string;
  /** False when more statements follow in the transaction (default true: the driver may pipeline the commit). */
  lastInTransaction?: boolean;
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
                          money, tax, fixed_charges, debt_recovered, energy_money, units, receipt, created_at, reversal_of,
                          credit_note_of)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $31, $33) RETURNING id),
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
     p AS (INSERT INTO payments (vend_id, customer_id, vendor_id, amount, refund_to) SELECT $1, $6, $7, $24, $32 WHERE $24::numeric IS NOT NULL),
     r AS (INSERT INTO recoveries (vend_id, customer_id, amount) SELECT $1, $6, $25 WHERE $25::numeric IS NOT NULL),
     a AS (INSERT INTO advances (vend_id, customer_id, meter_id, units, value) SELECT $1, $6, $5, $26, $27 WHERE $26::numeric IS NOT NULL),
     c AS (UPDATE customers SET debt = debt + $28 WHERE id = $6 AND $28::numeric <> 0),
     l AS (INSERT INTO audit_log (actor, action, subject, detail) VALUES ($8, $29, $5, $30))
     SELECT 1`,
    [
      ...vendRowParams(rec),
      w.tokenKey?.baseDate ?? meter.base_date,
      w.tokenKey?.krn ?? meter.krn,
      JSON.stringify(
        (w.tokenRows ?? r.tokens).map((t) => ({
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
      w.reversalOf ?? null,
      w.refundTo ?? null,
      w.creditNoteOf ?? null,
    ],
    { name: 'ledger-write-issue', lastInTransaction: w.lastInTransaction ?? true },
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
