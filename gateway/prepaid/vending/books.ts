import type { SqlExecutor } from '../../platform/index.js';

export interface LedgerBooks {
  /** Credit units of live tokens (class 0, not cancelled by a reversal). */
  unitsIssued: number;
  /** Units sold net of reversals. */
  unitsPurchased: number;
  unitsAdvanced: number;
  /** Free basic electricity units (never sold, never owed). */
  unitsFreeBasic: number;
  /** Credit moved by meter exchanges: opened on new meters (their tokens), closed on the old ones. */
  unitsTransferred: number;
  advanced: number;
  /** Recoveries net of those undone by reversals. */
  recovered: number;
  debt: number;
  /** Money received net of refunds: must equal the purchases' money net of reversals. */
  paid: number;
  /** Tokens whose digits, or whose (meter, base date, TID), occur more than once. */
  duplicateTokens: number;
  /** Vendors whose balance differs from the sum of their ledger movements. */
  vendorMismatches: number;
  /**
   * live units = purchased − reversed + advanced + free basic + transferred in, and every unit
   * transferred in was closed on the meter it left; payments = purchases − refunds
   * (reversals and credit notes), no purchase credited beyond its money;
   * debt = advances − recoveries ≥ 0; FBE vends = FBE grants; every reversal mirrors its purchase;
   * vendor balances = their movements; no duplicate tokens.
   */
  balanced: boolean;
}

/** Reconcile the whole ledger (admin check, tests, bench). */
export async function ledgerBooks(db: SqlExecutor): Promise<LedgerBooks> {
  const { rows } = await db.query<Record<string, number | null>>(`
    SELECT
      (SELECT COALESCE(sum(units), 0) FROM tokens WHERE token_class = 0 AND status <> 'cancelled') AS units_issued,
      (SELECT COALESCE(sum(units), 0) FROM vends WHERE kind IN ('purchase', 'reversal')) AS units_purchased,
      (SELECT COALESCE(sum(units), 0) FROM advances) AS units_advanced,
      (SELECT COALESCE(sum(units), 0) FROM vends WHERE kind = 'free-basic') AS units_fbe_vends,
      (SELECT COALESCE(sum(units), 0) FROM free_basic) AS units_fbe,
      (SELECT COALESCE(sum(units), 0) FROM vends WHERE kind = 'credit-transfer') AS units_transferred,
      (SELECT COALESCE(sum(units), 0) FROM credit_transfers) AS units_closed,
      (SELECT COALESCE(sum(value), 0) FROM advances) AS advanced,
      (SELECT COALESCE(sum(amount), 0) FROM recoveries) AS recovered,
      (SELECT COALESCE(sum(debt), 0) FROM customers) AS debt,
      (SELECT COALESCE(min(debt), 0) FROM customers) AS min_debt,
      (SELECT COALESCE(sum(amount), 0) FROM payments) AS paid,
      (SELECT COALESCE(sum(money), 0) FROM vends WHERE kind IN ('purchase', 'reversal', 'credit-note')) AS sold,
      (SELECT count(*) FROM vends r JOIN vends o ON o.id = r.reversal_of
        WHERE r.kind <> 'reversal' OR o.kind <> 'purchase' OR r.money <> -o.money OR r.units <> -o.units
           OR r.debt_recovered <> -o.debt_recovered) AS bad_reversals,
      (SELECT count(*) FROM vends o WHERE o.kind = 'purchase'
        AND (SELECT COALESCE(-sum(c.money), 0) FROM vends c WHERE c.credit_note_of = o.id) > o.money) AS over_credited,
      (SELECT count(*) FROM vendors v WHERE v.balance <>
        (SELECT COALESCE(sum(amount), 0) FROM vendor_movements m WHERE m.vendor_id = v.id)) AS vendor_mismatches,
      (SELECT COALESCE(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM tokens GROUP BY meter_id, digits HAVING count(*) > 1) d)
      + (SELECT COALESCE(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM tokens WHERE tid IS NOT NULL GROUP BY meter_id, base_date, tid HAVING count(*) > 1) e)
        AS duplicates`);
  const r = rows[0]!;
  const n = (k: string): number => Number(r[k] ?? 0);
  const tenths = (x: number): number => Math.round(x * 10);
  const cents = (x: number): number => Math.round(x * 100);
  const books = {
    unitsIssued: n('units_issued'),
    unitsPurchased: n('units_purchased'),
    unitsAdvanced: n('units_advanced'),
    unitsFreeBasic: n('units_fbe'),
    unitsTransferred: n('units_transferred'),
    advanced: n('advanced'),
    recovered: n('recovered'),
    debt: n('debt'),
    paid: n('paid'),
    duplicateTokens: n('duplicates'),
    vendorMismatches: n('vendor_mismatches'),
  };
  const balanced =
    tenths(books.unitsIssued) ===
      tenths(books.unitsPurchased) +
        tenths(books.unitsAdvanced) +
        tenths(books.unitsFreeBasic) +
        tenths(books.unitsTransferred) &&
    tenths(books.unitsTransferred) === tenths(n('units_closed')) &&
    tenths(n('units_fbe_vends')) === tenths(books.unitsFreeBasic) &&
    cents(books.paid) === cents(n('sold')) &&
    cents(books.debt) === cents(books.advanced) - cents(books.recovered) &&
    n('min_debt') >= 0 &&
    n('bad_reversals') === 0 &&
    n('over_credited') === 0 &&
    books.vendorMismatches === 0 &&
    books.duplicateTokens === 0;
  return { ...books, balanced };
}
