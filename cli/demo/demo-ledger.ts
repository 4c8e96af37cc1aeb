import { randomBytes } from 'node:crypto';
import { createApiKey, listApiKeys, revokeApiKey } from '../../gateway/platform/auth/index.js';
import type { SqlDatabase } from '../../gateway/platform/db/index.js';
import {
  EXAMPLE_ELECTRICITY_TARIFF,
  createCustomer,
  createMeter,
  getMeter,
  upsertProgramme,
  type KeyVault,
} from '../../gateway/prepaid/vending/index.js';
import { recordFloatMovement, upsertVendor } from '../../gateway/prepaid/vendors/index.js';
import { luhnCheckDigit, type MeterKey } from '../../token-engine/index.js';

export interface DemoApiKeys {
  admin: string;
  operator: string;
  vendor: string;
  customer: string;
  /** A meter reader's key: opens that reader's rounds in the phone app (/ui/agent/), nothing else. */
  reader: string;
}

export interface DemoPrepaidMeter {
  id: string;
  customerId: string;
  key: MeterKey;
}

const DEMO_LABEL = 'demo';
/** The vendor id of the demo's vendor key (an agency counter with a float). */
export const DEMO_VENDOR = 'AGENCE-1';
/** The reader id of the demo's reader key; the demo's reading round is assigned to it. */
export const DEMO_READER = 'RELEVEUR-1';

function pan(n: number): string {
  const body = `600727${String(900_000 + n).padStart(11, '0')}`;
  return body + luhnCheckDigit(body);
}

/**
 * The demo's ledger: a social programme, one customer per prepaid meter (every other one a
 * low-income household, alternating French and English), prepaid DKGA04/EA11 meters registered
 * with random vending keys sealed in the vault, and fresh API keys for each role on every start
 * (the previous demo keys are revoked). Idempotent across restarts of the same data directory.
 */
export async function seedDemoLedger(
  db: SqlDatabase,
  vault: KeyVault,
  prepaidIds: readonly string[],
): Promise<{ keys: DemoApiKeys; prepaid: DemoPrepaidMeter[] }> {
  await upsertProgramme(db, {
    id: 'social',
    name: 'Programme social (avances kWh)',
    recoveryMode: 'percent',
    recoveryValue: 25,
    maxAdvanceUnits: 20,
    outstandingLimit: 50,
  });
  const prepaid: DemoPrepaidMeter[] = [];
  for (const [i, id] of prepaidIds.entries()) {
    const customerId = `CUST-${String(i + 1).padStart(3, '0')}`;
    let row = await getMeter(db, id);
    if (!row) {
      await createCustomer(db, {
        id: customerId,
        name: `Client ${i + 1}`,
        social: i % 2 === 0,
        language: i % 3 === 2 ? 'en' : 'fr',
        programmeId: 'social',
      }).catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 409) throw err;
      });
      await createMeter(db, vault, {
        id,
        customerId,
        tariffId: EXAMPLE_ELECTRICITY_TARIFF.id,
        supply: 'electricity',
        pan: pan(i + 1),
        sgc: '600727',
        ti: 1,
        krn: 1,
        kt: 2,
        ken: 255,
        ea: '11',
        dkga: '04',
        baseDate: 2014,
        vendingKey: randomBytes(32).toString('hex'),
        connected: true,
      });
      row = (await getMeter(db, id))!;
    }
    // The simulated meter is "manufactured" with its key: it reads it from the vault in-process, as a
    // factory key-loading station would. The key never leaves this process or reaches a log.
    const vendingKey = Buffer.from(await vault.open(db, row.key_ref as string, 'vending-key')).toString(
      'hex',
    );
    prepaid.push({
      id,
      customerId: row.customer_id,
      key: {
        dkga: row.dkga,
        ea: row.ea,
        vendingKey,
        sgc: row.sgc,
        ti: row.ti,
        krn: row.krn,
        kt: row.kt,
        ken: row.ken,
        baseDate: row.base_date as MeterKey['baseDate'],
        pan: row.pan,
      },
    });
  }
  for (const k of await listApiKeys(db)) {
    if (k.label === DEMO_LABEL && !k.revokedAt) await revokeApiKey(db, k.id);
  }
  // The vendor key sells for an agency counter with an account (float, shifts, Z-report), as a
  // utility's own agency would: 50,000 MAD of float, topped up once (idempotent by request id).
  await upsertVendor(db, { id: DEMO_VENDOR, name: 'Agence Rabat-Agdal', kind: 'agency', mode: 'float' });
  await recordFloatMovement(
    db,
    { role: 'admin', id: 'demo' },
    DEMO_VENDOR,
    { kind: 'top-up', requestId: 'demo-float-1', amount: 50_000 },
    new Date(),
  );
  const firstCustomer = prepaid[0]?.customerId ?? 'CUST-001';
  const keys: DemoApiKeys = {
    admin: (await createApiKey(db, { role: 'admin', label: DEMO_LABEL })).key,
    operator: (await createApiKey(db, { role: 'operator', label: DEMO_LABEL })).key,
    vendor: (await createApiKey(db, { role: 'vendor', vendorId: DEMO_VENDOR, label: DEMO_LABEL })).key,
    customer: (await createApiKey(db, { role: 'customer', customerId: firstCustomer, label: DEMO_LABEL }))
      .key,
    reader: (await createApiKey(db, { role: 'reader', readerId: DEMO_READER, label: DEMO_LABEL })).key,
  };
  return { keys, prepaid };
}
