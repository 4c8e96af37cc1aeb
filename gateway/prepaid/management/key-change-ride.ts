import { randomUUID } from 'node:crypto';
import { BASE_DATES, deriveDecoderKey, type BaseDate } from '../../../token-engine/index.js';
import { invalidRequest, type Principal, type SqlDatabase, type SqlExecutor } from '../../platform/index.js';
import { LedgerError } from '../ledger/errors.js';
import type { MeterRow } from '../ledger/registry.js';
import {
  audit,
  lockMeter,
  requireSts,
  type IssuedToken,
  type KeyChangeTarget,
  type LockedMeter,
  type PendingKeyChange,
} from '../vending/ledger-tx.js';
import type { VendingService } from '../vending/service.js';

/** Key change tokens as answered: sections 1..4 (class 2, subclasses 3, 4, 8, 9), no TID. */
export function keyChangeTokens(digits: string[]): IssuedToken[] {
  return digits.map((d, i) => ({
    digits: d,
    tid: null,
    tokenClass: 2,
    subclass: [3, 4, 8, 9][i]!,
    units: 0,
    section: i + 1,
  }));
}

export function nextBaseDate(b: BaseDate): BaseDate | undefined {
  return BASE_DATES[BASE_DATES.indexOf(b) + 1];
}

/** The decoder key of a meter under a new key identity; refuses (422) when the vault cannot give it. */
export async function deriveNewKey(
  service: VendingService,
  tx: SqlExecutor,
  meter: MeterRow,
  t: KeyChangeTarget,
): Promise<Uint8Array> {
  try {
    const key = await service.minter.meterKey(tx, {
      ...meter,
      key_ref: t.keyRef,
      krn: t.krn,
      ken: t.ken,
      base_date: t.baseDate,
    });
    return deriveDecoderKey(key);
  } catch (err) {
    throw new LedgerError('MG_ERR_MANAGEMENT_KEY_CHANGE', {
      params: { meterId: meter.id },
      details: {
        reason: `meter ${meter.id}: new key unavailable (${(err as { code?: string }).code ?? 'error'})`,
      },
    });
  }
}

/** The target key of a key change request against a meter's current key (KRN 1..9, a later base date on rollover). */
export function keyChangeTarget(
  meter: MeterRow,
  req: { krn?: number; ken?: number; rollover?: boolean; keyRef?: string },
): KeyChangeTarget {
  requireSts(meter);
  const krn = req.krn ?? meter.krn + 1;
  if (!Number.isInteger(krn) || krn < 1 || krn > 9) {
    throw new LedgerError('MG_ERR_MANAGEMENT_KEY_CHANGE', {
      params: { meterId: meter.id },
      details: { reason: `meter ${meter.id}: new KRN must be 1..9 (current ${meter.krn})` },
    });
  }
  const ro: 0 | 1 = req.rollover ? 1 : 0;
  const baseDate = ro ? nextBaseDate(meter.base_date) : meter.base_date;
  if (!baseDate)
    throw new LedgerError('MG_ERR_MANAGEMENT_KEY_CHANGE', {
      params: { meterId: meter.id },
      details: { reason: `meter ${meter.id}: no base date after ${meter.base_date}` },
    });
  return { krn, ken: req.ken ?? meter.ken, baseDate, keyRef: req.keyRef ?? meter.key_ref, ro };
}

function assertNoPending(meter: LockedMeter): void {
  if (meter.key_change) {
    throw new LedgerError('MG_ERR_KEY_CHANGE_UNCONFIRMED', {
      params: { meterId: meter.id },
      details: { keyChangeId: meter.key_change.id, status: meter.key_change.status },
    });
  }
}

/** Refuse an immediate key change while a scheduled one is not confirmed. */
export const refuseWhilePending = assertNoPending;

export interface ScheduleKeyChange {
  requestId: string;
  krn?: number;
  ken?: number;
  rollover?: boolean;
  keyRef?: string;
  reason?: string;
}

function scheduleView(row: {
  id: string;
  meter_id: string;
  status: string;
  target: KeyChangeTarget;
  reason: string | null;
  created_at: Date;
}): Record<string, unknown> {
  return {
    keyChangeId: row.id,
    meterId: row.meter_id,
    status: row.status,
    to: {
      krn: row.target.krn,
      ken: row.target.ken,
      baseDate: row.target.baseDate,
      rollover: row.target.ro === 1,
    },
    reason: row.reason,
    scheduledAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Schedule a key change on a meter (`POST /api/meters/:id/key-change`): nothing is issued now; the
 * meter's next purchase carries it. Idempotent by requestId; refused while the meter has not
 * confirmed the previous one.
 */
export async function scheduleKeyChange(
  service: VendingService,
  principal: Principal,
  meterId: string,
  req: ScheduleKeyChange,
): Promise<Record<string, unknown>> {
  if (!req.requestId) throw invalidRequest({ field: 'body/requestId', reason: 'requestId is required' });
  return service.db.transaction(async (tx) => {
    const meter = await lockMeter(tx, meterId);
    const prev = await tx.query<Parameters<typeof scheduleView>[0]>(
      'SELECT * FROM key_changes WHERE request_id = $1',
      [`${meterId}:${req.requestId}`],
    );
    if (prev.rows[0]) return { ...scheduleView(prev.rows[0]), replayed: true };
    assertNoPending(meter);
    const target = keyChangeTarget(meter, req);
    await deriveNewKey(service, tx, meter, target);
    const { rows } = await tx.query<Parameters<typeof scheduleView>[0]>(
      `INSERT INTO key_changes (id, meter_id, request_id, target, reason, requested_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        randomUUID(),
        meterId,
        `${meterId}:${req.requestId}`,
        JSON.stringify(target),
        req.reason ?? null,
        principal.id,
        service.now(),
      ],
    );
    const view = scheduleView(rows[0]!);
    await audit(tx, principal, 'key-change.schedule', meterId, {
      keyChangeId: view.keyChangeId,
      from: { krn: meter.krn, ken: meter.ken, baseDate: meter.base_date },
      to: view.to,
      reason: req.reason ?? null,
    });
    return view;
  });
}

export interface Ride {
  /** The meter under its new key (what the credit token is minted with). */
  keyed: MeterRow;
  /** The key change tokens to type before the credit token. */
  tokens: IssuedToken[];
  /** The tokens to record (none when re-issued: they are already in the ledger). */
  newRows: IssuedToken[];
  rollover: boolean;
  receipt: Record<string, unknown>;
  /** Record that a vend carried the change (inside the vend's transaction). */
  carried(vendId: string, lastTid: number, lastInTransaction: boolean): Promise<void>;
}

/**
 * A pending key change riding on a purchase: the first purchase mints the key change tokens
 * under the current key; until the meter confirms, every purchase re-issues the very same tokens
 * and a credit token under the new key. The meter row keeps the old key until the confirmation.
 */
export async function rideKeyChange(
  service: VendingService,
  tx: SqlExecutor,
  meter: LockedMeter,
  kc: PendingKeyChange,
): Promise<Ride> {
  const t = kc.target;
  const keyed: MeterRow = {
    ...meter,
    krn: t.krn,
    ken: t.ken,
    base_date: t.baseDate,
    key_ref: t.keyRef,
    last_tid: t.ro ? kc.new_last_tid : meter.last_tid,
  };
  let digits = kc.tokens;
  const fresh = !digits;
  if (!digits) {
    const current = await service.minter.cipherFor(tx, meter);
    const decoderKey = await deriveNewKey(service, tx, meter, t);
    digits = service.minter.keyChange(current, {
      decoderKey,
      ken: t.ken,
      krn: t.krn,
      ti: meter.ti,
      kt: meter.kt,
      ro: t.ro,
      sgc: meter.sgc,
    });
  }
  const tokens = keyChangeTokens(digits);
  return {
    keyed,
    tokens,
    newRows: fresh ? tokens : [],
    rollover: t.ro === 1,
    receipt: {
      keyChangeId: kc.id,
      reissued: !fresh,
      from: { krn: meter.krn, ken: meter.ken, baseDate: meter.base_date },
      to: { krn: t.krn, ken: t.ken, baseDate: t.baseDate },
      rollover: t.ro === 1,
    },
    carried: async (vendId, lastTid, lastInTransaction) => {
      await tx.query(
        `UPDATE key_changes SET status = 'issued', tokens = $2, issued_at = COALESCE(issued_at, $3),
                carried_by = array_append(carried_by, $4), new_last_tid = CASE WHEN $5 THEN $6::integer ELSE new_last_tid END
          WHERE id = $1`,
        [kc.id, JSON.stringify(digits), service.now(), vendId, t.ro === 1, lastTid],
        { lastInTransaction },
      );
    },
  };
}

/** Make the new key current: the meter confirmed (acceptance event, operator or customer). */
async function applyKeyChange(
  tx: SqlExecutor,
  actor: Principal | string,
  kc: { id: string; meter_id: string; target: KeyChangeTarget; new_last_tid: number | null },
  via: string,
  now: Date,
): Promise<Record<string, unknown>> {
  const t = kc.target;
  await tx.query(
    `UPDATE meters SET krn = $2, ken = $3, base_date = $4, key_ref = $5,
            last_tid = CASE WHEN $6 THEN $7::integer ELSE last_tid END WHERE id = $1`,
    [kc.meter_id, t.krn, t.ken, t.baseDate, t.keyRef, t.ro === 1, kc.new_last_tid],
  );
  await tx.query(`UPDATE key_changes SET status = 'confirmed', confirmed_at = $2 WHERE id = $1`, [
    kc.id,
    now,
  ]);
  await audit(tx, actor, 'key-change.confirm', kc.meter_id, { keyChangeId: kc.id, via });
  return {
    keyChangeId: kc.id,
    meterId: kc.meter_id,
    status: 'confirmed',
    via,
    to: { krn: t.krn, ken: t.ken, baseDate: t.baseDate },
  };
}

type IssuedKeyChange = { id: string; meter_id: string; target: KeyChangeTarget; new_last_tid: number | null };

/** `POST /api/meters/:id/key-change/confirm`: the customer or an operator confirms the first token was accepted. */
export async function confirmKeyChange(
  db: SqlDatabase,
  principal: Principal,
  meterId: string,
  now: Date,
): Promise<Record<string, unknown>> {
  return db.transaction(async (tx) => {
    await lockMeter(tx, meterId);
    const { rows } = await tx.query<IssuedKeyChange>(
      `SELECT id, meter_id, target, new_last_tid FROM key_changes WHERE meter_id = $1 AND status = 'issued' FOR UPDATE`,
      [meterId],
    );
    if (!rows[0]) throw new LedgerError('MG_ERR_KEY_CHANGE_NONE', { params: { meterId } });
    return applyKeyChange(tx, principal, rows[0], principal.role, now);
  });
}

/** A token the meter accepted that was carried with a key change proves the change: confirm it. */
export async function confirmByAcceptedToken(
  db: SqlDatabase,
  meterId: string,
  digits: string,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockMeter(tx, meterId);
    const { rows } = await tx.query<IssuedKeyChange>(
      `SELECT kc.id, kc.meter_id, kc.target, kc.new_last_tid FROM key_changes kc
         JOIN tokens t ON t.meter_id = kc.meter_id AND t.digits = $2 AND t.vend_id = ANY (kc.carried_by)
        WHERE kc.meter_id = $1 AND kc.status = 'issued' FOR UPDATE OF kc`,
      [meterId, digits],
    );
    if (!rows[0]) return false;
    await applyKeyChange(tx, 'meter', rows[0], 'token.accepted', new Date());
    return true;
  });
}
