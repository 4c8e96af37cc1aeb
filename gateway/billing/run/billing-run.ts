import '../errors.js';
import { GatewayError, type SqlDatabase } from '../../platform/index.js';
import { contractColumns } from '../accounts/account-registry.js';
import type { Bill, BillDraft, IndexQuality } from '../bills/bill.js';
import { issueBills, type AfterIssue, type InstalmentsDue } from '../bills/bill-store.js';
import { daysBetween, monthEnd } from '../money/calendar.js';
import type { MoneyTariffVersion } from '../money/money-tariff.js';
import { loadTariffVersions } from '../money/tariff-store.js';
import type { EstimatedBill } from '../regularisation/regularise.js';
import { composeBill, type BillingContract, type IndexValue } from './compose-bill.js';
import { SqlIndexSource, type IndexQuery, type IndexSource } from './index-source.js';
import { billDates, DEFAULT_TERMS, parsePeriodKey, periodFor, type DueTerms } from './period.js';
import { advanceRun, createRunRow, finishRun, loadRun, setRunTotal, type RunView } from './run-store.js';

export interface BillingRunnerOptions {
  db: SqlDatabase;
  indexSource?: IndexSource;
  terms?: DueTerms;
  /** Contracts per transaction (default 500). */
  batchSize?: number;
  instalmentsDue?: InstalmentsDue;
  /** Runs in each batch's transaction after its bills are stored (automatic instalment plans). */
  afterIssue?: AfterIssue;
  /** Called after each committed batch with its bills (delivery is a separate, crash-safe sweep). */
  onIssued?: (bills: Bill[]) => void | Promise<void>;
  onProgress?: (run: RunView) => void;
  clock?: () => Date;
}

/** Bills kept per contract to find the estimated chain (a year of monthly bills and the anchor). */
const CHAIN_LOOKBACK = 13;

interface PriorRow extends EstimatedBill {
  contract: string;
  kind: string;
  newIndex: number;
  newQuality: IndexQuality;
}

/**
 * The billing run: closes every contract's period for a period key. It walks the contracts in
 * number order in batches; each batch's bills, the run's counters and its cursor commit in ONE
 * transaction. Killed at any moment, the run resumes after its cursor, and a contract already
 * billed for the period (by this or any run) is skipped under the year counter's lock — so every
 * contract gets one bill per period and numbers stay gap-free.
 */
export class BillingRunner {
  private readonly o: BillingRunnerOptions;
  private readonly source: IndexSource;

  constructor(options: BillingRunnerOptions) {
    this.o = options;
    this.source = options.indexSource ?? new SqlIndexSource({ db: options.db });
  }

  private today(): string {
    return (this.o.clock?.() ?? new Date()).toISOString().slice(0, 10);
  }

  /** Registers a run for a finished period (409 if one is already running for it). */
  async create(period: string, requestedBy: string): Promise<RunView> {
    parsePeriodKey(period);
    if (monthEnd(period) >= this.today()) {
      throw new GatewayError('MG_ERR_BILLING_BAD_PERIOD', {
        params: { reason: `${period} has not ended yet` },
      });
    }
    return createRunRow(this.o.db, period, requestedBy);
  }

  get(id: string): Promise<RunView> {
    return loadRun(this.o.db, id).then(({ cursor: _cursor, ...v }) => v);
  }

  /** Runs (or resumes) a run to its end. */
  async execute(id: string): Promise<RunView> {
    const db = this.o.db;
    let run = await loadRun(db, id);
    if (run.status !== 'running') return this.get(id);
    const key = run.period;
    const even = Number(key.slice(5, 7)) % 2 === 0;
    const end = monthEnd(key);
    const { rows: count } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM contracts WHERE subscribed_at <= $1 AND (frequency = 'monthly' OR $2)`,
      [end, even],
    );
    await setRunTotal(db, id, count[0]!.n);
    const tariffs = new Map<string, MoneyTariffVersion[]>();
    let cursor = run.cursor;
    const size = this.o.batchSize ?? 500;
    try {
      for (;;) {
        const { rows } = await db.query<BillingContract>(
          `SELECT ${contractColumns('c.')}, cu.customer_number AS "customerNumber"
             FROM contracts c JOIN customers cu ON cu.id = c.customer_id
            WHERE c.number > $1 AND c.subscribed_at <= $2 AND (c.frequency = 'monthly' OR $3)
            ORDER BY c.number LIMIT $4`,
          [cursor, end, even, size],
        );
        if (!rows.length) break;
        await this.batch(id, key, rows, tariffs);
        cursor = rows[rows.length - 1]!.number;
        if (this.o.onProgress) this.o.onProgress(await this.get(id));
      }
      await finishRun(db, id, 'completed');
    } catch (err) {
      await finishRun(db, id, 'failed').catch(() => undefined);
      throw err;
    }
    run = await loadRun(db, id);
    return this.get(run.id);
  }

  private async batch(
    runId: string,
    key: string,
    contracts: BillingContract[],
    tariffs: Map<string, MoneyTariffVersion[]>,
  ): Promise<void> {
    const db = this.o.db;
    const numbers = contracts.map((c) => c.number);
    const missing = [...new Set(contracts.map((c) => c.tariffId))].filter((t) => !tariffs.has(t));
    if (missing.length) for (const [t, v] of await loadTariffVersions(db, missing)) tariffs.set(t, v);
    const { rows: prior } = await db.query<PriorRow>(
      `SELECT contract, number, kind, "periodFrom", "periodTo", "periodKey", consumption, "amountHT", tax, "amountTTC", months,
              "newIndex", "newQuality"
         FROM (SELECT contract_number AS contract, number, kind, period_key AS "periodKey",
                      to_char(period_from, 'YYYY-MM-DD') AS "periodFrom", to_char(period_to, 'YYYY-MM-DD') AS "periodTo",
                      consumption, amount_ht AS "amountHT", tax, amount_ttc AS "amountTTC", months,
                      new_index AS "newIndex", new_quality AS "newQuality",
                      row_number() OVER (PARTITION BY contract_number ORDER BY period_to DESC, number DESC) AS rn
                 FROM bills WHERE contract_number = ANY($1) AND kind <> 'credit-note') b
        WHERE rn <= $2 ORDER BY contract, "periodTo" DESC`,
      [numbers, CHAIN_LOOKBACK],
    );
    const byContract = new Map<string, (PriorRow & { periodKey: string })[]>();
    for (const p of prior as (PriorRow & { periodKey: string })[]) {
      const list = byContract.get(p.contract) ?? [];
      list.push(p);
      byContract.set(p.contract, list);
    }
    const queries: IndexQuery[] = [];
    const plans: {
      c: BillingContract;
      period: NonNullable<ReturnType<typeof periodFor>>;
      previous: IndexValue;
      history: PriorRow[];
    }[] = [];
    let skipped = 0;
    for (const c of contracts) {
      const period = periodFor(c, key)!;
      const history = byContract.get(c.number) ?? [];
      if (history.some((h) => (h as { periodKey: string }).periodKey === key)) {
        skipped++;
        continue;
      }
      const last = history[0];
      const previous: IndexValue = last
        ? { index: Number(last.newIndex), quality: last.newQuality }
        : { index: Number(c.initialIndex), quality: 'real' };
      const billedDays = history.reduce((s, h) => s + daysBetween(h.periodFrom, h.periodTo), 0);
      const billedUnits = history.reduce((s, h) => s + Number(h.consumption), 0);
      queries.push({
        contract: c.number,
        meterId: c.meterId,
        obis: c.obis,
        from: period.from,
        to: period.to,
        previous,
        ...(billedDays > 0 ? { recentDaily: billedUnits / billedDays } : {}),
      });
      plans.push({ c, period, previous, history });
    }
    const ends = await this.source.endIndexes(queries);
    const drafts: BillDraft[] = [];
    const errors: RunView['errors'] = [];
    for (const p of plans) {
      const endIndex = ends.get(p.c.number);
      const versions = tariffs.get(p.c.tariffId);
      try {
        if (!versions?.length) {
          throw new GatewayError('MG_ERR_BILLING_UNKNOWN_TARIFF', {
            params: { id: p.c.tariffId, day: p.period.to },
          });
        }
        if (!endIndex) {
          throw new GatewayError('MG_ERR_BILLING_NO_INDEX', {
            params: { contract: p.c.number, day: p.period.to },
          });
        }
        const chainLen = p.history.findIndex((h) => h.newQuality !== 'estimated');
        const chain = (chainLen === -1 ? p.history : p.history.slice(0, chainLen)).slice().reverse();
        const anchorBill = chainLen === -1 ? undefined : p.history[chainLen];
        const anchor: IndexValue = anchorBill
          ? { index: Number(anchorBill.newIndex), quality: anchorBill.newQuality }
          : { index: Number(p.c.initialIndex), quality: 'real' };
        drafts.push(
          composeBill({
            contract: p.c,
            period: p.period,
            dates: billDates(p.c, p.period, this.o.terms ?? DEFAULT_TERMS),
            versions,
            previous: p.previous,
            end: endIndex,
            estimatedChain: chain.map((b) => ({ ...b, consumption: Number(b.consumption) })),
            anchor,
            runId,
          }),
        );
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        errors.push({ contract: p.c.number, code: err.code, message: err.message });
      }
    }
    const result = await db.transaction(async (tx) => {
      const r = await issueBills(tx, drafts, {
        instalmentsDue: this.o.instalmentsDue,
        afterIssue: this.o.afterIssue,
      });
      await advanceRun(tx, runId, {
        issued: r.issued.length,
        skipped: skipped + r.skipped.length,
        failed: errors.length,
        cursor: contracts[contracts.length - 1]!.number,
        errors,
      });
      return r;
    });
    if (result.issued.length) await this.o.onIssued?.(result.issued);
  }
}
