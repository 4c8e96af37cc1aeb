import { randomInt, randomUUID } from 'node:crypto';
import type { Principal, SqlExecutor } from '../../platform/index.js';
import { advanceUnitValue } from '../advances/advance.js';
import { LedgerError } from '../ledger/errors.js';
import type { MeterRow } from '../ledger/registry.js';
import {
  cents,
  money,
  monthKey,
  issueHead,
  newVendId,
  nextTid,
  requestHash,
  writeIssue,
  type IssueResult,
  type LockedMeter,
} from '../vending/ledger-tx.js';
import type { VendingService } from '../vending/service.js';

/**
 * Free basic electricity (FBE): a monthly free allowance for eligible households — social
 * customers whose programme grants `fbeUnits` — issued once per calendar month per meter as its own
 * 'free-basic' vend and credit token, valued at the advance unit value (the utility's subsidy),
 * with a `free_basic` row whose primary key (meter, month) makes a second grant impossible. Never
 * a debt: the repayable advance stays as it is.
 */
export function freeBasicDue(meter: LockedMeter): boolean {
  return meter.social && meter.fbe_units > 0 && !meter.fbe_granted;
}

export interface PreparedFreeBasic {
  result: IssueResult;
  summary: NonNullable<IssueResult['freeBasic']>;
  /** Write the vend, token and grant (inside the caller's transaction). */
  write(lastInTransaction: boolean): Promise<void>;
}

export async function prepareFreeBasic(
  service: VendingService,
  tx: SqlExecutor,
  principal: Principal,
  meter: LockedMeter,
  keyed: MeterRow,
  now: Date,
  tid: number,
  requestId: string,
): Promise<PreparedFreeBasic> {
  const month = monthKey(now);
  const units = Math.round(meter.fbe_units * 10) / 10;
  const value = money(Math.round(cents(advanceUnitValue(meter.definition)) * units));
  const cipher = await service.minter.cipherFor(tx, keyed);
  const digits = service.minter.credit(cipher, keyed, units, tid, randomInt(16));
  const vendId = newVendId();
  const result: IssueResult = {
    ...issueHead('free-basic', meter, requestId, principal.vendorId ?? null, now, vendId),
    receipt: { freeBasic: true, month, units, value, money: 0 },
    tokens: [
      { digits, tid, tokenClass: 0, subclass: { electricity: 0, water: 1, gas: 2 }[meter.supply], units },
    ],
    token: digits,
  };
  return {
    result,
    summary: { vendId, token: digits, units, tid },
    write: async (lastInTransaction) => {
      await writeIssue(
        tx,
        {
          result,
          requestHash: requestHash({ op: 'free-basic', meterId: meter.id, month }),
          principal,
          units,
        },
        meter,
        {
          lastTid: keyed.base_date === meter.base_date ? tid : null,
          tokenKey: { baseDate: keyed.base_date, krn: keyed.krn },
          auditAction: 'free-basic',
          auditDetail: { vendId, month, tid, units, value },
          lastInTransaction: false,
        },
      );
      await tx.query(
        'INSERT INTO free_basic (meter_id, month, vend_id, customer_id, units, value, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [meter.id, month, vendId, meter.customer_id, units, value, now],
        { lastInTransaction },
      );
    },
  };
}

/** `POST /api/meters/:id/free-basic`: this month's FBE on request (a second one this month is refused). */
export async function issueFreeBasic(
  service: VendingService,
  principal: Principal,
  meterId: string,
  requestId: string | undefined,
): Promise<IssueResult> {
  const id = requestId ?? `fbe-${randomUUID()}`;
  const month = monthKey(service.now());
  const hash = requestHash({ op: 'free-basic', meterId, month });
  return service.issue(
    meterId,
    id,
    hash,
    async (tx, meter) => {
      if (!(meter.social && meter.fbe_units > 0)) {
        throw new LedgerError('MG_ERR_FBE_NOT_ELIGIBLE', { params: { meterId } });
      }
      if (meter.fbe_granted) {
        throw new LedgerError('MG_ERR_FBE_ALREADY_ISSUED', { params: { meterId, month } });
      }
      const now = service.now();
      const fbe = await prepareFreeBasic(service, tx, principal, meter, meter, now, nextTid(meter, now), id);
      await fbe.write(true);
      return fbe.result;
    },
    principal.vendorId ?? null,
  );
}

/** The month's FBE grants and totals (the subsidy report). */
export async function freeBasicReport(db: SqlExecutor, month: string): Promise<Record<string, unknown>> {
  const { rows } = await db.query<{
    meter_id: string;
    customer_id: string;
    vend_id: string;
    units: number;
    value: number;
    created_at: Date;
  }>(
    'SELECT meter_id, customer_id, vend_id, units, value, created_at FROM free_basic WHERE month = $1 ORDER BY meter_id',
    [month],
  );
  return {
    month,
    grants: rows.map((r) => ({
      meterId: r.meter_id,
      customerId: r.customer_id,
      vendId: r.vend_id,
      units: Number(r.units),
      value: Number(r.value),
      at: new Date(r.created_at).toISOString(),
    })),
    totals: {
      count: rows.length,
      units: Math.round(rows.reduce((a, r) => a + Number(r.units) * 10, 0)) / 10,
      value: money(rows.reduce((a, r) => a + cents(Number(r.value)), 0)),
    },
  };
}
