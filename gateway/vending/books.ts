import type { SqlExecutor } from '../db/index.js';

export interface LedgerBooks {
  unitsIssued: number;
  unitsPurchased: number;
  unitsAdvanced: number;
  advanced: number;
  recovered: number;
  debt: number;
  /** Tokens whose digits, or whose (meter, base date, TID), occur more than once. */
  duplicateTokens: number;
  /** units issued = purchased + advanced; debt = advances − recoveries ≥ 0; no duplicates. */
  balanced: boolean;
}

/** Reconcile the whole ledger (admin check, tests, bench). */
export async function ledgerBooks(db: SqlExecutor): Promise<LedgerBooks> {
  const { rows } = await db.query<Record<string, number | null>>(`
    SELECT
      (SELECT COALESCE(sum(units), 0) FROM tokens WHERE token_class = 0) AS units_issued,
      (SELECT COALESCE(sum(units), 0) FROM vends WHERE kind = 'purchase') AS units_purchased,
      (SELECT COALESCE(sum(units), 0) FROM advances) AS units_advanced,
      (SELECT COALESCE(sum(value), 0) FROM advances) AS advanced,
      (SELECT COALESCE(sum(amount), 0) FROM recoveries) AS recovered,
      (SELECT COALESCE(sum(debt), 0) FROM customers) AS debt,
      (SELECT COALESCE(min(debt), 0) FROM customers) AS min_debt,
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
    advanced: n('advanced'),
    recovered: n('recovered'),
    debt: n('debt'),
    duplicateTokens: n('duplicates'),
  };
  const balanced =
    tenths(books.unitsIssued) === tenths(books.unitsPurchased) + tenths(books.unitsAdvanced) &&
    cents(books.debt) === cents(books.advanced) - cents(books.recovered) &&
    n('min_debt') >= 0 &&
    books.duplicateTokens === 0;
  return { ...books, balanced };
}
