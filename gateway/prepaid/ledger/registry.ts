import { Value } from '@sinclair/typebox/value';
import { Type, type Static } from '@sinclair/typebox';
import {
  parsePan,
  validateMeterKey,
  hexToBytes,
  openPaygoKeyFromHex,
  startingCodeFromKey,
  type MeterKey,
} from '../../../token-engine/index.js';
import { invalidRequest } from '../../platform/index.js';
import { isUniqueViolation, type SqlExecutor } from '../../platform/index.js';
import type { KeyVault } from '../../platform/index.js';
import { validateTariffDefinition, type Tariff } from '../../billing/index.js';
import { LedgerError } from './errors.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

export const CustomerInput = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    social: Type.Boolean({
      default: false,
      description: 'low-income household (social tariff block, advances)',
    }),
    language: Type.Union([Type.Literal('fr'), Type.Literal('en')], { default: 'fr' }),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ]{6,20}$' })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 200 })),
    notify: Type.Optional(
      Type.Object(
        { sms: Type.Boolean(), email: Type.Boolean(), lowCredit: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
    programmeId: Type.Optional(Id),
    recovery: Type.Optional(
      Type.Union([
        Type.Object({
          mode: Type.Literal('percent'),
          value: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
        }),
        Type.Object({ mode: Type.Literal('fixed'), value: Type.Number({ exclusiveMinimum: 0 }) }),
        Type.Object({ mode: Type.Literal('full') }),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type CustomerInput = Static<typeof CustomerInput>;

export const ProgrammeInput = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    recoveryMode: Type.Union([Type.Literal('percent'), Type.Literal('fixed'), Type.Literal('full')], {
      default: 'percent',
    }),
    recoveryValue: Type.Number({ minimum: 0, default: 25 }),
    maxAdvanceUnits: Type.Number({ exclusiveMinimum: 0, default: 20 }),
    outstandingLimit: Type.Number({ minimum: 0, default: 50 }),
    /** Free basic electricity: units given each calendar month to the programme's social households (0: none). */
    fbeUnits: Type.Number({ minimum: 0, maximum: 10_000, default: 0 }),
  },
  { additionalProperties: false },
);
export type ProgrammeInput = Static<typeof ProgrammeInput>;

/** A meter as registered: key identity fields plus the vending key itself (sealed into the vault). */
export const MeterInput = Type.Object(
  {
    id: Id,
    customerId: Id,
    tariffId: Id,
    supply: Type.Union([Type.Literal('electricity'), Type.Literal('water'), Type.Literal('gas')], {
      default: 'electricity',
    }),
    pan: Type.String({ pattern: '^[0-9]{18}$' }),
    sgc: Type.String({ pattern: '^[0-9]{6}$' }),
    ti: Type.Integer({ minimum: 0, maximum: 99 }),
    krn: Type.Integer({ minimum: 1, maximum: 9 }),
    kt: Type.Integer({ minimum: 0, maximum: 3 }),
    ken: Type.Integer({ minimum: 0, maximum: 255 }),
    ea: Type.Union([Type.Literal('07'), Type.Literal('11')]),
    dkga: Type.Union([Type.Literal('02'), Type.Literal('04')]),
    baseDate: Type.Union([Type.Literal(1993), Type.Literal(2014), Type.Literal(2035)]),
    /** Existing vault entry holding the vending key… */
    keyRef: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** …or the vending key in hex, sealed into the vault on registration and never returned. */
    vendingKey: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{16,128}$' })),
    staRef: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    connected: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);
export type MeterInput = Static<typeof MeterInput>;

/** A meter's STS key data alone (a meter exchange registers the new meter on the old one's contract). */
export const MeterKeysInput = Type.Omit(MeterInput, ['id', 'customerId', 'tariffId', 'supply', 'connected']);
export type MeterKeysInput = Static<typeof MeterKeysInput>;

/** An OpenPAYGO device's settings and counter (the secret key is in the vault, never here). */
export interface OpenPaygoSettings {
  startingCode: number;
  /** The last count used for the device (the server's side of the counter). */
  count: number;
  restrictedDigitSet: boolean;
  /** Token value units per day (1: values are days). */
  timeDivider: number;
  /** Price of one day of service, tariff currency, tax included. */
  pricePerDay: number;
}

/** A pay-as-you-go device that takes OpenPAYGO tokens (solar home system), registered beside STS meters. */
export const PaygDeviceInput = Type.Object(
  {
    id: Id,
    customerId: Id,
    tariffId: Id,
    /** The device's 16-byte secret key (32 hex digits), sealed into the vault, never returned. */
    key: Type.String({ pattern: '^[0-9a-fA-F]{32}$' }),
    startingCode: Type.Optional(Type.Integer({ minimum: 0, maximum: 999_999_999 })),
    startingCount: Type.Integer({ minimum: 0, maximum: 2 ** 30, default: 1 }),
    restrictedDigitSet: Type.Boolean({ default: false }),
    timeDivider: Type.Integer({ minimum: 1, maximum: 24, default: 1 }),
    pricePerDay: Type.Number({ exclusiveMinimum: 0, maximum: 1e6 }),
  },
  { additionalProperties: false },
);
export type PaygDeviceInput = Static<typeof PaygDeviceInput>;

export interface MeterRow {
  id: string;
  customer_id: string;
  tariff_id: string;
  supply: 'electricity' | 'water' | 'gas';
  token_scheme?: 'sts' | 'openpaygo';
  opaygo?: OpenPaygoSettings | null;
  pan: string;
  sgc: string;
  ti: number;
  krn: number;
  kt: number;
  ken: number;
  ea: '07' | '11';
  dkga: '02' | '04';
  base_date: 1993 | 2014 | 2035;
  key_ref: string;
  sta_ref: string | null;
  connected: boolean;
  last_tid: number | null;
  position_month: string | null;
  position_units: number;
  position_fixed: number;
}

/** Public view of a meter: identity and state, never key material or vault references' contents. */
export function meterView(m: MeterRow): Record<string, unknown> {
  if (m.token_scheme === 'openpaygo' && m.opaygo) {
    const o = m.opaygo;
    return {
      id: m.id,
      customerId: m.customer_id,
      tariffId: m.tariff_id,
      supply: m.supply,
      tokenScheme: 'openpaygo',
      openPaygo: {
        count: o.count,
        restrictedDigitSet: o.restrictedDigitSet,
        timeDivider: o.timeDivider,
        pricePerDay: o.pricePerDay,
      },
    };
  }
  return {
    tokenScheme: 'sts',
    id: m.id,
    customerId: m.customer_id,
    tariffId: m.tariff_id,
    supply: m.supply,
    pan: m.pan,
    sgc: m.sgc,
    ti: m.ti,
    krn: m.krn,
    kt: m.kt,
    ken: m.ken,
    ea: m.ea,
    dkga: m.dkga,
    baseDate: m.base_date,
    connected: m.connected,
    lastTid: m.last_tid,
  };
}

function check<T>(schema: Parameters<typeof Value.Check>[0], raw: unknown, what: string): T {
  const value = Value.Default(schema, structuredClone(raw));
  const first = Value.Errors(schema, value).First();
  if (first)
    throw invalidRequest({
      field: `body${first.path}`,
      reason: `${what} ${first.path || '/'}: ${first.message}`,
    });
  return value as T;
}

export async function upsertProgramme(db: SqlExecutor, raw: unknown): Promise<ProgrammeInput> {
  const p = check<ProgrammeInput>(ProgrammeInput, raw, 'programme');
  await db.query(
    `INSERT INTO programmes (id, name, recovery_mode, recovery_value, max_advance_units, outstanding_limit, fbe_units)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, recovery_mode = excluded.recovery_mode,
       recovery_value = excluded.recovery_value, max_advance_units = excluded.max_advance_units,
       outstanding_limit = excluded.outstanding_limit, fbe_units = excluded.fbe_units`,
    [p.id, p.name, p.recoveryMode, p.recoveryValue, p.maxAdvanceUnits, p.outstandingLimit, p.fbeUnits],
  );
  return p;
}

export async function createCustomer(db: SqlExecutor, raw: unknown): Promise<CustomerInput> {
  const c = check<CustomerInput>(CustomerInput, raw, 'customer');
  const recovery = c.recovery;
  try {
    await db.query(
      `INSERT INTO customers (id, name, social, language, phone, email, notify, programme_id, recovery_mode, recovery_value)
       VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::jsonb, '{"sms": true, "email": false, "lowCredit": true}'), $8, $9, $10)`,
      [
        c.id,
        c.name,
        c.social,
        c.language,
        c.phone ?? null,
        c.email ?? null,
        c.notify ? JSON.stringify(c.notify) : null,
        c.programmeId ?? null,
        recovery?.mode ?? null,
        recovery && recovery.mode !== 'full' ? recovery.value : null,
      ],
    );
  } catch (err) {
    throw mapConstraint(err, `customer ${c.id}`);
  }
  return c;
}

export async function upsertTariff(
  db: SqlExecutor,
  tariff: Omit<Tariff, 'definition'> & { definition: unknown },
): Promise<Tariff> {
  const v = validateTariffDefinition(tariff.definition);
  if (!v.ok) throw invalidRequest({ field: 'body', reason: v.reason });
  if (!['electricity', 'water', 'gas'].includes(tariff.supply)) {
    throw invalidRequest({ field: 'body', reason: 'tariff supply must be electricity, water or gas' });
  }
  await db.query(
    `INSERT INTO tariffs (id, name, supply, currency, definition, example) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, supply = excluded.supply, currency = excluded.currency,
       definition = excluded.definition, example = excluded.example`,
    [tariff.id, tariff.name, tariff.supply, tariff.currency, JSON.stringify(v.value), tariff.example],
  );
  return { ...tariff, definition: v.value };
}

export async function listTariffs(db: SqlExecutor): Promise<Tariff[]> {
  const { rows } = await db.query<Tariff & { definition: Tariff['definition'] }>(
    'SELECT id, name, supply, currency, definition, example FROM tariffs ORDER BY id',
  );
  return rows;
}

/**
 * A meter registration checked before anything is stored: the schema, exactly one of keyRef or
 * vendingKey, STA tables for EA07, and the whole key identity (errors name fields, never key bytes).
 */
export function checkMeterInput(raw: unknown): MeterInput {
  const m = check<MeterInput>(MeterInput, raw, 'meter');
  const pan = parsePan(m.pan);
  if (!pan.ok) throw invalidRequest({ field: 'body/pan', reason: `meter /pan: ${pan.message}` });
  if (!m.keyRef === !m.vendingKey) {
    throw invalidRequest({ field: 'body', reason: 'meter: give exactly one of keyRef or vendingKey' });
  }
  if (m.ea === '07' && !m.staRef) {
    throw invalidRequest({
      field: 'body/staRef',
      reason: 'meter /staRef: EA07 meters need STA tables from the vault',
    });
  }
  if (m.vendingKey) {
    const probe: MeterKey = {
      dkga: m.dkga,
      ea: m.ea,
      vendingKey: m.vendingKey,
      sgc: m.sgc,
      ti: m.ti,
      krn: m.krn,
      kt: m.kt,
      ken: m.ken,
      baseDate: m.baseDate,
      pan: m.pan,
    };
    try {
      validateMeterKey(probe);
    } catch (err) {
      throw invalidRequest({
        field: 'body',
        reason: `meter key: ${(err as Error).message.replaceAll(m.vendingKey, '[key]')}`,
      });
    }
  }
  return m;
}

export async function createMeter(
  db: SqlExecutor,
  vault: KeyVault,
  raw: unknown,
): Promise<Record<string, unknown>> {
  const m = checkMeterInput(raw);
  const tariff = await db.query<{ supply: string }>('SELECT supply FROM tariffs WHERE id = $1', [m.tariffId]);
  if (!tariff.rows[0])
    throw invalidRequest({ field: 'body/tariffId', reason: `meter /tariffId: unknown tariff ${m.tariffId}` });
  if (tariff.rows[0].supply !== m.supply) {
    throw invalidRequest({
      field: 'body/tariffId',
      reason: `meter /tariffId: tariff ${m.tariffId} is for ${tariff.rows[0].supply}, the meter measures ${m.supply}`,
    });
  }
  const keyRef = m.keyRef ?? (await vault.put(db, 'vending-key', hexToBytes(m.vendingKey!), `meter ${m.id}`));
  try {
    const { rows } = await db.query<MeterRow>(
      `INSERT INTO meters (id, customer_id, tariff_id, supply, pan, sgc, ti, krn, kt, ken, ea, dkga, base_date, key_ref, sta_ref, connected)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING *`,
      [
        m.id,
        m.customerId,
        m.tariffId,
        m.supply,
        m.pan,
        m.sgc,
        m.ti,
        m.krn,
        m.kt,
        m.ken,
        m.ea,
        m.dkga,
        m.baseDate,
        keyRef,
        m.staRef ?? null,
        m.connected,
      ],
    );
    return meterView(rows[0]!);
  } catch (err) {
    throw mapConstraint(err, `meter ${m.id}`);
  }
}

export async function getMeter(db: SqlExecutor, id: string): Promise<MeterRow | undefined> {
  const { rows } = await db.query<MeterRow>('SELECT * FROM meters WHERE id = $1', [id]);
  return rows[0];
}

export function mapConstraint(err: unknown, what: string): unknown {
  const code = (err as { code?: string }).code;
  if (isUniqueViolation(err)) {
    const e = err as { constraint?: string; detail?: string; message?: string };
    const pan = /\(pan\)=\(([^)]*)\)/.exec(e.detail ?? '')?.[1];
    if (
      e.constraint === 'meters_pan_unique' ||
      pan !== undefined ||
      /meters_pan_unique/.test(e.message ?? '')
    ) {
      return new LedgerError('MG_ERR_LEDGER_PAN_TAKEN', { params: { pan: pan ?? '?' } });
    }
    return new LedgerError('MG_ERR_LEDGER_EXISTS', { details: { what } });
  }
  if (code === '23503')
    return invalidRequest({
      field: 'body',
      reason: `${what}: refers to an unknown customer, tariff, programme or vault entry`,
    });
  return err;
}

/** Register an OpenPAYGO device: its secret key is sealed into the vault (never returned). */
export async function createPaygDevice(
  db: SqlExecutor,
  vault: KeyVault,
  raw: unknown,
): Promise<Record<string, unknown>> {
  const d = check<PaygDeviceInput>(PaygDeviceInput, raw, 'device');
  const key = openPaygoKeyFromHex(d.key);
  const tariff = await db.query<{ supply: string }>('SELECT supply FROM tariffs WHERE id = $1', [d.tariffId]);
  if (!tariff.rows[0])
    throw invalidRequest({
      field: 'body/tariffId',
      reason: `device /tariffId: unknown tariff ${d.tariffId}`,
    });
  const settings: OpenPaygoSettings = {
    startingCode: d.startingCode ?? startingCodeFromKey(key),
    count: d.startingCount,
    restrictedDigitSet: d.restrictedDigitSet,
    timeDivider: d.timeDivider,
    pricePerDay: d.pricePerDay,
  };
  const keyRef = await vault.put(db, 'vending-key', hexToBytes(d.key), `openpaygo device ${d.id}`);
  try {
    const { rows } = await db.query<MeterRow>(
      `INSERT INTO meters (id, customer_id, tariff_id, supply, key_ref, token_scheme, opaygo)
       VALUES ($1, $2, $3, $4, $5, 'openpaygo', $6) RETURNING *`,
      [d.id, d.customerId, d.tariffId, tariff.rows[0].supply, keyRef, JSON.stringify(settings)],
    );
    return meterView(rows[0]!);
  } catch (err) {
    throw mapConstraint(err, `device ${d.id}`);
  }
}
