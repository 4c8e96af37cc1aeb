import '../errors.js';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';
import { isDay } from './calendar.js';
import { validateMoneyTariff, type MoneyTariffVersion } from './money-tariff.js';

/**
 * Tariff versions in the ledger database (`billing_tariffs`, keyed by id and effective date). A new
 * version never edits an older one: bills issued under it keep pointing at what priced them.
 */
export async function upsertTariffVersion(db: SqlExecutor, v: MoneyTariffVersion): Promise<void> {
  const checked = validateMoneyTariff(v.definition);
  if (!checked.ok)
    throw new GatewayError('MG_ERR_BILLING_BAD_TARIFF', { params: { reason: checked.reason } });
  if (!isDay(v.effectiveFrom)) {
    throw new GatewayError('MG_ERR_BILLING_BAD_TARIFF', {
      params: { reason: `effectiveFrom ${v.effectiveFrom}` },
    });
  }
  await db.query(
    `INSERT INTO billing_tariffs (id, effective_from, name, service, currency, example, definition)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id, effective_from) DO UPDATE SET name = EXCLUDED.name, definition = EXCLUDED.definition,
       example = EXCLUDED.example, currency = EXCLUDED.currency, service = EXCLUDED.service`,
    [v.id, v.effectiveFrom, v.name, v.service, v.currency, v.example, JSON.stringify(checked.value)],
  );
}

/** Every version of the given tariffs, by id, oldest first. */
export async function loadTariffVersions(
  db: SqlExecutor,
  ids: readonly string[],
): Promise<Map<string, MoneyTariffVersion[]>> {
  const { rows } = await db.query<MoneyTariffVersion>(
    `SELECT id, to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", name, service, currency, example, definition
       FROM billing_tariffs WHERE id = ANY($1) ORDER BY id, effective_from`,
    [[...new Set(ids)]],
  );
  const out = new Map<string, MoneyTariffVersion[]>();
  for (const r of rows) {
    const list = out.get(r.id) ?? [];
    list.push(r);
    out.set(r.id, list);
  }
  return out;
}
