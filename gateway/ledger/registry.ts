import { Value } from '@sinclair/typebox/value';
import { Type, type Static } from '@sinclair/typebox';
import { parsePan, validateMeterKey, hexToBytes, type MeterKey } from '../../token-engine/index.js';
import { ApiError } from '../auth/index.js';
import { isUniqueViolation, type SqlExecutor } from '../db/index.js';
import type { KeyVault } from '../keys/index.js';
import { validateTariffDefinition, type Tariff } from '../tariffs/index.js';
import { LedgerErrorCodes } from './errors.js';

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

export interface MeterRow {
  id: string;
  customer_id: string;
  tariff_id: string;
  supply: 'electricity' | 'water' | 'gas';
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
  return {
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
    throw new ApiError(400, LedgerErrorCodes.invalidInput, `${what} ${first.path || '/'}: ${first.message}`);
  return value as T;
}

export async function upsertProgramme(db: SqlExecutor, raw: unknown): Promise<ProgrammeInput> {
  const p = check<ProgrammeInput>(ProgrammeInput, raw, 'programme');
  await db.query(
    `INSERT INTO programmes (id, name, recovery_mode, recovery_value, max_advance_units, outstanding_limit)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, recovery_mode = excluded.recovery_mode,
       recovery_value = excluded.recovery_value, max_advance_units = excluded.max_advance_units,
       outstanding_limit = excluded.outstanding_limit`,
    [p.id, p.name, p.recoveryMode, p.recoveryValue, p.maxAdvanceUnits, p.outstandingLimit],
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
  if (!v.ok) throw new ApiError(400, LedgerErrorCodes.invalidInput, v.reason);
  if (!['electricity', 'water', 'gas'].includes(tariff.supply)) {
    throw new ApiError(400, LedgerErrorCodes.invalidInput, 'tariff supply must be electricity, water or gas');
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

export async function createMeter(
  db: SqlExecutor,
  vault: KeyVault,
  raw: unknown,
): Promise<Record<string, unknown>> {
  const m = check<MeterInput>(MeterInput, raw, 'meter');
  const pan = parsePan(m.pan);
  if (!pan.ok) throw new ApiError(400, LedgerErrorCodes.invalidInput, `meter /pan: ${pan.message}`);
  if (!m.keyRef === !m.vendingKey) {
    throw new ApiError(400, LedgerErrorCodes.invalidInput, 'meter: give exactly one of keyRef or vendingKey');
  }
  if (m.ea === '07' && !m.staRef) {
    throw new ApiError(
      400,
      LedgerErrorCodes.invalidInput,
      'meter /staRef: EA07 meters need STA tables from the vault',
    );
  }
  if (m.vendingKey) {
    // Validate the whole key identity before sealing (field names only in errors, never values).
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
      throw new ApiError(
        400,
        LedgerErrorCodes.invalidInput,
        `meter key: ${(err as Error).message.replaceAll(m.vendingKey, '[key]')}`,
      );
    }
  }
  const tariff = await db.query<{ supply: string }>('SELECT supply FROM tariffs WHERE id = $1', [m.tariffId]);
  if (!tariff.rows[0])
    throw new ApiError(400, LedgerErrorCodes.invalidInput, `meter /tariffId: unknown tariff ${m.tariffId}`);
  if (tariff.rows[0].supply !== m.supply) {
    throw new ApiError(
      400,
      LedgerErrorCodes.invalidInput,
      `meter /tariffId: tariff ${m.tariffId} is for ${tariff.rows[0].supply}, the meter measures ${m.supply}`,
    );
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
  if (isUniqueViolation(err)) return new ApiError(409, LedgerErrorCodes.exists, `${what} already exists`);
  if (code === '23503')
    return new ApiError(
      400,
      LedgerErrorCodes.invalidInput,
      `${what}: refers to an unknown customer, tariff, programme or vault entry`,
    );
  return err;
}
