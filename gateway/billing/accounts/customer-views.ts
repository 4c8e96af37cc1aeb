import '../errors.js';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';

/** The customer as the API shows it (GET /api/customers, GET /api/customers/:id). */
export interface CustomerSummary {
  id: string;
  customerNumber: string | null;
  name: string;
  kind: 'prepaid' | 'postpaid';
  contracts: { number: string; service: string; meter: string }[];
}

export interface CustomerDetail extends CustomerSummary {
  mobile: string | null;
  email: string | null;
  cin: string | null;
  birthDate: string | null;
  language: 'fr' | 'ar' | 'en';
  civility: string | null;
  firstName: string | null;
  lastName: string | null;
  landline: string | null;
}

interface Row {
  id: string;
  customerNumber: string | null;
  name: string;
  kind: 'prepaid' | 'postpaid';
  mobile: string | null;
  phone: string | null;
  email: string | null;
  cin: string | null;
  birthDate: string | null;
  language: 'fr' | 'ar' | 'en';
  civility: string | null;
  firstName: string | null;
  lastName: string | null;
  landline: string | null;
}

const COLUMNS = `c.id, c.customer_number AS "customerNumber", c.name, c.kind, c.mobile, c.phone, c.email, c.cin,
  to_char(c.birth_date, 'YYYY-MM-DD') AS "birthDate", c.language, c.civility, c.first_name AS "firstName",
  c.last_name AS "lastName", c.landline`;

/**
 * Contracts of the listed customers. Prepaid customers have no billing contract: their STS meters
 * (the ledger's `meters` table, when present) are shown as prepaid electricity "contracts" named
 * after the meter, so the list has one shape for both kinds.
 */
async function contractsOf(
  db: SqlExecutor,
  ids: string[],
): Promise<Map<string, CustomerSummary['contracts']>> {
  const out = new Map<string, CustomerSummary['contracts']>();
  if (!ids.length) return out;
  const { rows } = await db.query<{ customerId: string; number: string; service: string; meter: string }>(
    `SELECT customer_id AS "customerId", number, service, meter_id AS meter FROM contracts
      WHERE customer_id = ANY($1) ORDER BY number`,
    [ids],
  );
  let prepaid: typeof rows = [];
  try {
    prepaid = (
      await db.query<{ customerId: string; number: string; service: string; meter: string }>(
        `SELECT customer_id AS "customerId", id AS number, supply AS service, id AS meter FROM meters
          WHERE customer_id = ANY($1) ORDER BY id`,
        [ids],
      )
    ).rows;
  } catch (err) {
    // No prepaid ledger in this deployment (42P01: undefined table).
    if ((err as { code?: string }).code !== '42P01') throw err;
  }
  for (const r of [...rows, ...prepaid]) {
    const list = out.get(r.customerId) ?? [];
    list.push({ number: r.number, service: r.service, meter: r.meter });
    out.set(r.customerId, list);
  }
  return out;
}

export async function listCustomers(
  db: SqlExecutor,
  query: { kind?: 'prepaid' | 'postpaid'; limit?: number; offset?: number },
): Promise<CustomerSummary[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM customers c WHERE ($1::text IS NULL OR c.kind = $1)
      ORDER BY c.customer_number NULLS LAST, c.id LIMIT $2 OFFSET $3`,
    [query.kind ?? null, query.limit ?? 500, query.offset ?? 0],
  );
  const contracts = await contractsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    customerNumber: r.customerNumber,
    name: r.name,
    kind: r.kind,
    contracts: contracts.get(r.id) ?? [],
  }));
}

export async function getCustomer(db: SqlExecutor, id: string): Promise<CustomerDetail> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM customers c WHERE c.id = $1`, [id]);
  const r = rows[0];
  if (!r) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_CUSTOMER', { params: { id } });
  const contracts = await contractsOf(db, [id]);
  return {
    id: r.id,
    customerNumber: r.customerNumber,
    name: r.name,
    kind: r.kind,
    contracts: contracts.get(id) ?? [],
    mobile: r.mobile ?? r.phone,
    email: r.email,
    cin: r.cin,
    birthDate: r.birthDate,
    language: r.language,
    civility: r.civility,
    firstName: r.firstName,
    lastName: r.lastName,
    landline: r.landline,
  };
}
