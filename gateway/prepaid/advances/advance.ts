import { randomInt } from 'node:crypto';
import { invalidRequest, type Principal } from '../../platform/index.js';
import {
  cents,
  money,
  newVendId,
  nextTid,
  writeIssue,
  requestHash,
  type IssueResult,
} from '../vending/ledger-tx.js';
import type { VendingService } from '../vending/service.js';
import { LedgerError } from '../ledger/errors.js';
import type { TariffDefinition } from '../../billing/index.js';

export interface AdvanceRequest {
  meterId: string;
  requestId: string;
  /** kWh (or m³) of emergency credit. */
  units: number;
}

/** Defaults when the customer has no programme: at most 20 units per advance, 50 outstanding. */
export const DEFAULT_MAX_ADVANCE_UNITS = 20;
export const DEFAULT_OUTSTANDING_LIMIT = 50;

/** Value of one unit of credit given rather than sold (advances, free basic electricity): the first block's price, tax included. */
export function advanceUnitValue(def: TariffDefinition): number {
  const first = def.blocks[0]!;
  return def.advanceUnitValue ?? (first.socialPrice ?? first.price) * (1 + def.taxRate);
}

/**
 * Emergency credit for low-income households: an immediate credit token now, recorded as a debt
 * valued at the advance unit value (default: the first block's price for this customer, tax
 * included) and recovered from later purchases by the customer's or programme's policy.
 * Eligibility: the social flag, at most the programme's units per advance, and the debt after
 * this advance within the programme's outstanding limit.
 */
export async function grantAdvance(
  service: VendingService,
  principal: Principal,
  req: AdvanceRequest,
): Promise<IssueResult> {
  if (!req.requestId) throw invalidRequest({ field: 'body/requestId', reason: 'requestId is required' });
  if (!Number.isFinite(req.units) || req.units < 0.1) {
    throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', { details: { reason: 'units must be at least 0.1' } });
  }
  const hash = requestHash({
    op: 'advance',
    meterId: req.meterId,
    units: req.units,
    vendor: principal.vendorId,
  });
  return service.issue(
    req.meterId,
    req.requestId,
    hash,
    async (tx, meter) => {
      if (!meter.social) {
        throw new LedgerError('MG_ERR_ADVANCE_NOT_ELIGIBLE', {
          params: { customerId: String(meter.customer_id) },
        });
      }
      const maxUnits = meter.max_advance_units ?? DEFAULT_MAX_ADVANCE_UNITS;
      const limit = meter.outstanding_limit ?? DEFAULT_OUTSTANDING_LIMIT;
      if (req.units > maxUnits) {
        throw new LedgerError('MG_ERR_ADVANCE_LIMIT', {
          details: { reason: `an advance is at most ${maxUnits} units` },
        });
      }
      const def = meter.definition;
      const unitValue = advanceUnitValue(def);
      const tenths = Math.round(req.units * 10);
      const units = tenths / 10;
      const valueCents = Math.ceil((tenths * unitValue * 100) / 10 - 1e-9);
      if (cents(meter.debt) + valueCents > cents(limit)) {
        throw new LedgerError('MG_ERR_ADVANCE_LIMIT', {
          details: {
            reason: `outstanding advances would reach ${money(cents(meter.debt) + valueCents)} ${meter.currency}, above the limit ${limit}`,
          },
        });
      }
      const now = service.now();
      const tid = nextTid(meter, now);
      const cipher = await service.minter.cipherFor(tx, meter);
      const digits = service.minter.credit(cipher, meter, units, tid, randomInt(16));
      const debtAfter = money(cents(meter.debt) + valueCents);
      const result: IssueResult = {
        vendId: newVendId(),
        requestId: req.requestId,
        kind: 'advance',
        meterId: meter.id,
        customerId: meter.customer_id,
        vendorId: principal.vendorId ?? null,
        issuedAt: now.toISOString(),
        currency: meter.currency,
        receipt: { units, value: money(valueCents), unitValue, debtAfter, recovery: meter.policy },
        tokens: [
          { digits, tid, tokenClass: 0, subclass: { electricity: 0, water: 1, gas: 2 }[meter.supply], units },
        ],
        token: digits,
      };
      await writeIssue(tx, { result, requestHash: hash, principal }, meter, {
        lastTid: tid,
        advance: { units, value: money(valueCents) },
        auditAction: 'advance',
        auditDetail: { vendId: result.vendId, tid, units, value: money(valueCents), debtAfter },
      });
      return result;
    },
    principal.vendorId ?? null,
  );
}
