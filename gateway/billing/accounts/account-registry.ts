import '../errors.js';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';

/**
 * Postpaid accounts and their contracts. A customer is one row of the shared `customers` registry
 * (prepaid and postpaid stay distinct by `kind`); a contract binds one service (electricity, water)
 * on one meter to a tariff, a billing frequency and a billing day.
 *
 * Billing periods are calendar months (monthly) or pairs of months Jan–Feb, Mar–Apr… (bimonthly),
 * so the monthly blocks of the tariff apply to whole months; the billing day is the day of the
 * following month on which the period's bill is issued.
 */
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const CustomerNumber = Type.String({ pattern: '^[0-9A-Z][0-9A-Z-]{3,19}$' });
export const ContractNumber = Type.String({ pattern: '^[0-9A-Z][0-9A-Z-]{3,23}$' });
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

export const PostpaidCustomerInput = Type.Object(
  {
    id: Id,
    customerNumber: CustomerNumber,
    civility: Type.Optional(Type.Union([Type.Literal('M'), Type.Literal('Mme')])),
    firstName: Type.String({ minLength: 1, maxLength: 80 }),
    lastName: Type.String({ minLength: 1, maxLength: 80 }),
    cin: Type.Optional(Type.String({ pattern: '^[A-Z]{1,2}[0-9]{1,7}$' })),
    birthDate: Type.Optional(Day),
    mobile: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{8,15}$' })),
    landline: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{8,15}$' })),
    email: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 200 })),
    language: Type.Optional(
      Type.Union([Type.Literal('fr'), Type.Literal('ar'), Type.Literal('en')], { default: 'fr' }),
    ),
    social: Type.Optional(Type.Boolean()),
    notify: Type.Optional(Type.Object({ sms: Type.Boolean(), email: Type.Boolean() })),
  },
  { additionalProperties: false },
);
export type PostpaidCustomerInput = Static<typeof PostpaidCustomerInput>;

export const ContractInput = Type.Object(
  {
    number: ContractNumber,
    customerId: Id,
    service: Type.Union([Type.Literal('electricity'), Type.Literal('water')]),
    meterId: Id,
    /** Register billed; default 1-0:1.8.0 (electricity) / 8-0:1.0.0 (water). */
    obis: Type.Optional(Type.String({ maxLength: 32 })),
    tariffId: Id,
    frequency: Type.Optional(Type.Union([Type.Literal('monthly'), Type.Literal('bimonthly')])),
    billingDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 28 })),
    subscribedAt: Day,
    initialIndex: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type ContractInput = Static<typeof ContractInput>;

export interface ContractRow {
  number: string;
  customerId: string;
  service: 'electricity' | 'water';
  meterId: string;
  obis: string;
  tariffId: string;
  frequency: 'monthly' | 'bimonthly';
  billingDay: number;
  subscribedAt: string;
  initialIndex: number;
  social: boolean;
}

function check<T>(schema: Parameters<typeof Value.Check>[0], raw: unknown, what: string): T {
  const value = Value.Default(schema, structuredClone(raw));
  const first = Value.Errors(schema, value).First();
  if (first) {
    throw new GatewayError('MG_ERR_BILLING_BAD_INPUT', {
      params: { reason: `${what} ${first.path || '/'}: ${first.message}` },
    });
  }
  return value as T;
}

const isUnique = (err: unknown) => (err as { code?: string }).code === '23505';

export async function createPostpaidCustomer(db: SqlExecutor, raw: unknown): Promise<void> {
  const c = check<PostpaidCustomerInput>(PostpaidCustomerInput, raw, 'customer');
  try {
    await db.query(
      `INSERT INTO customers (id, name, kind, customer_number, civility, first_name, last_name, cin, birth_date,
         mobile, landline, phone, email, language, social, notify)
       VALUES ($1, $2, 'postpaid', $3, $4, $5, $6, $7, $8, $9, $10, $9, $11, $12, $13, $14)`,
      [
        c.id,
        `${c.firstName} ${c.lastName}`,
        c.customerNumber,
        c.civility ?? null,
        c.firstName,
        c.lastName,
        c.cin ?? null,
        c.birthDate ?? null,
        c.mobile ?? null,
        c.landline ?? null,
        c.email ?? null,
        c.language ?? 'fr',
        c.social ?? false,
        JSON.stringify({ sms: c.notify?.sms ?? true, email: c.notify?.email ?? !!c.email, lowCredit: false }),
      ],
    );
  } catch (err) {
    if (isUnique(err)) {
      throw new GatewayError('MG_ERR_BILLING_DUPLICATE', {
        params: { what: `customer ${c.id} / ${c.customerNumber}` },
      });
    }
    throw err;
  }
}

export async function createContract(db: SqlExecutor, raw: unknown): Promise<void> {
  const c = check<ContractInput>(ContractInput, raw, 'contract');
  const owner = await db.query<{ social: boolean }>(`SELECT social FROM customers WHERE id = $1`, [
    c.customerId,
  ]);
  if (!owner.rows[0])
    throw new GatewayError('MG_ERR_BILLING_UNKNOWN_CUSTOMER', { params: { id: c.customerId } });
  try {
    await db.query(
      `INSERT INTO contracts (number, customer_id, service, meter_id, obis, tariff_id, frequency, billing_day,
         subscribed_at, initial_index, social)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        c.number,
        c.customerId,
        c.service,
        c.meterId,
        c.obis ?? (c.service === 'water' ? '8-0:1.0.0' : '1-0:1.8.0'),
        c.tariffId,
        c.frequency ?? 'monthly',
        c.billingDay ?? 5,
        c.subscribedAt,
        c.initialIndex ?? 0,
        owner.rows[0].social,
      ],
    );
  } catch (err) {
    if (isUnique(err))
      throw new GatewayError('MG_ERR_BILLING_DUPLICATE', { params: { what: `contract ${c.number}` } });
    throw err;
  }
}

/** The contract columns as ContractRow, from table alias `a` (e.g. 'c.'). */
export const contractColumns = (a = ''): string =>
  `${a}number, ${a}customer_id AS "customerId", ${a}service, ${a}meter_id AS "meterId", ${a}obis,
  ${a}tariff_id AS "tariffId", ${a}frequency, ${a}billing_day AS "billingDay",
  to_char(${a}subscribed_at, 'YYYY-MM-DD') AS "subscribedAt", ${a}initial_index AS "initialIndex", ${a}social`;

export async function getContract(db: SqlExecutor, number: string): Promise<ContractRow | undefined> {
  const { rows } = await db.query<ContractRow>(
    `SELECT ${contractColumns()} FROM contracts WHERE number = $1`,
    [number],
  );
  return rows[0];
}
