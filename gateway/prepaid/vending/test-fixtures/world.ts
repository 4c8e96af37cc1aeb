import { randomBytes } from 'node:crypto';
import { luhnCheckDigit, type MeterKey } from '../../../../token-engine/index.js';
import { createApiKey } from '../../../platform/index.js';
import type { SqlDatabase } from '../../../platform/index.js';
import { AesGcmSecurityModule, KeyVault } from '../../../platform/index.js';
import { createCustomer, createMeter, upsertProgramme } from '../../ledger/registry.js';
import { EXAMPLE_ELECTRICITY_TARIFF } from '../../../billing/index.js';
import { ledgerBooks } from '../books.js';
import { VendingService, type VendingServiceOptions } from '../service.js';

/**
 * A small ledger world for tests and the bench: customers, DKGA04/EA11 (MISTY1) meters with
 * random test vending keys, API keys per role. Vending keys are kept here in clear only so tests
 * can build the meter-side decoder — never do that outside tests.
 */
export const TEST_MASTER_KEY = 'a'.repeat(64);

export function testPan(n: number): string {
  const body = `600727${String(n).padStart(11, '0')}`;
  return body + luhnCheckDigit(body);
}

/** An EA11 (MISTY1, DKGA-04) meter's key data as the test fleets use it: its own random vending key. */
export function testMeterKey(pan: string, vendingKey = randomBytes(32).toString('hex')): MeterKey {
  return {
    dkga: '04',
    ea: '11',
    vendingKey,
    sgc: '123456',
    ti: 1,
    krn: 1,
    kt: 2,
    ken: 255,
    baseDate: 2014,
    pan,
  };
}

export interface World {
  service: VendingService;
  meters: Array<{ id: string; customerId: string; key: MeterKey }>;
  keys: { admin: string; operator: string; vendor: string; vendor2: string; customer: string };
}

export function testSecurityModule(): AesGcmSecurityModule {
  return AesGcmSecurityModule.fromEnv({ METERGATE_MASTER_KEY: TEST_MASTER_KEY });
}

export async function buildWorld(
  db: SqlDatabase,
  opts: {
    meters?: number;
    social?: boolean;
    now?: () => Date;
    service?: Partial<VendingServiceOptions>;
    vendingKeys?: string[];
  } = {},
): Promise<World> {
  const vault = new KeyVault(testSecurityModule());
  const service = await new VendingService({ db, vault, now: opts.now, ...opts.service }).start();
  await upsertProgramme(db, {
    id: 'social',
    name: 'Social programme',
    recoveryMode: 'percent',
    recoveryValue: 25,
    maxAdvanceUnits: 20,
    outstandingLimit: 50,
  });
  const count = opts.meters ?? 2;
  const meters: World['meters'] = [];
  for (let i = 0; i < count; i++) {
    const customerId = `C${i + 1}`;
    await createCustomer(db, {
      id: customerId,
      name: `Customer ${i + 1}`,
      social: opts.social ?? i % 2 === 0,
      language: 'fr',
      programmeId: 'social',
    });
    const vendingKey = opts.vendingKeys?.[i] ?? randomBytes(32).toString('hex');
    const key = testMeterKey(testPan(i + 1), vendingKey);
    const id = `M${i + 1}`;
    await createMeter(db, vault, {
      id,
      customerId,
      tariffId: EXAMPLE_ELECTRICITY_TARIFF.id,
      supply: 'electricity',
      pan: key.pan,
      sgc: key.sgc,
      ti: key.ti,
      krn: key.krn,
      kt: key.kt,
      ken: key.ken,
      ea: key.ea,
      dkga: key.dkga,
      baseDate: key.baseDate,
      vendingKey,
    });
    meters.push({ id, customerId, key });
  }
  const keys = {
    admin: (await createApiKey(db, { role: 'admin' })).key,
    operator: (await createApiKey(db, { role: 'operator' })).key,
    vendor: (await createApiKey(db, { role: 'vendor', vendorId: 'V1' })).key,
    vendor2: (await createApiKey(db, { role: 'vendor', vendorId: 'V2' })).key,
    customer: (await createApiKey(db, { role: 'customer', customerId: 'C1' })).key,
  };
  return { service, meters, keys };
}

/** The books of the whole ledger, as the proof states them. */
export const checkBooks = ledgerBooks;
