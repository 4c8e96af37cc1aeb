import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { GatewayError, PostgresDatabase, type Principal, type SqlDatabase } from '../../platform/index.js';
import { grantAdvance } from '../advances/index.js';
import { createPaygDevice, upsertProgramme } from '../ledger/registry.js';
import { OfflineVendingDevice } from '../offline/device.js';
import { provisionAllowance, syncOffline } from '../offline/offline.js';
import { ledgerBooks } from '../vending/books.js';
import { TokenDelivery } from '../vending/delivery.js';
import { buildWorld, type World } from '../vending/test-fixtures/world.js';
import { recordFloatMovement, upsertVendor } from '../vendors/vendors.js';
import { issueFreeBasic } from './free-basic.js';
import { issuePaygCommand } from './payg-tokens.js';
import { reverseVend } from './reversal.js';

const OPS = 10_000;
/** One of the last 20 items: reversals and acceptances aim at recent sales, as at a counter. */
const recent = <T>(xs: T[], pick: number): T => xs[xs.length - 1 - (pick % Math.min(20, xs.length))]!;
const METERS = 12;
const topics = new TopicScheme();
const operator: Principal = { id: 'key:op', role: 'operator' };
const VENDORS = [
  { id: 'PV1', commission: 2, mode: 'float' as const, creditLimit: 0 },
  { id: 'PV2', commission: 1.5, mode: 'credit' as const, creditLimit: 3000 },
];

type Op =
  | { k: 'vend'; meter: number; vendor: number; amount: number }
  | { k: 'reverse'; pick: number; toCustomer: boolean }
  | { k: 'fbe'; meter: number }
  | { k: 'advance'; meter: number; units: number }
  | { k: 'accept'; pick: number }
  | { k: 'top-up'; vendor: number; amount: number }
  | { k: 'clock'; minutes: number }
  | { k: 'payg'; vendor: number; amount: number }
  | { k: 'payg-set'; vendor: number; days: number }
  | { k: 'offline'; meter: number; amount: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc.record({
      k: fc.constant('vend' as const),
      meter: fc.nat(METERS - 1),
      vendor: fc.nat(1),
      amount: fc.integer({ min: 1000, max: 30000 }).map((c) => c / 100),
    }),
  },
  {
    weight: 15,
    arbitrary: fc.record({ k: fc.constant('reverse' as const), pick: fc.nat(), toCustomer: fc.boolean() }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('fbe' as const), meter: fc.nat(METERS - 1) }) },
  {
    weight: 14,
    arbitrary: fc.record({
      k: fc.constant('advance' as const),
      meter: fc.nat(METERS - 1),
      units: fc.integer({ min: 5, max: 80 }).map((t) => t / 10),
    }),
  },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('accept' as const), pick: fc.nat() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('payg' as const),
      vendor: fc.nat(1),
      amount: fc.integer({ min: 10, max: 60 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('payg-set' as const),
      vendor: fc.nat(1),
      days: fc.integer({ min: 1, max: 30 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('offline' as const),
      meter: fc.nat(3),
      amount: fc.integer({ min: 10, max: 40 }),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant('top-up' as const),
      vendor: fc.nat(1),
      amount: fc.integer({ min: 50, max: 400 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('clock' as const),
      minutes: fc.integer({ min: 1, max: 4 * 1440 }),
    }),
  },
);

let db: SqlDatabase;
let drop: (() => Promise<void>) | undefined;
let world: World;
let delivery: TokenDelivery;
let clock = new Date('2026-10-28T09:00:00Z');

beforeAll(async () => {
  const t = await createTestDatabase('mg_vend_prop');
  drop = t.drop;
  db = await new PostgresDatabase({ url: t.url, maxConnections: 4 }).start();
  delivery = new TokenDelivery({ publisher: { publish: () => {} }, topics });
  world = await buildWorld(db, { meters: METERS, now: () => clock, service: { delivery } });
  await upsertProgramme(db, { id: 'social', name: 'Social programme', fbeUnits: 15, outstandingLimit: 200 });
  await createPaygDevice(db, world.service.vault, {
    id: 'SHS1',
    customerId: 'C2',
    tariffId: 'example-electricity-ma',
    key: 'bc41ec9530f6dac86b1a29ab82edc5fb',
    pricePerDay: 2.5,
  });
  for (const v of VENDORS) {
    await upsertVendor(db, {
      id: v.id,
      name: v.id,
      kind: 'shop',
      mode: v.mode,
      creditLimit: v.creditLimit,
      commissionPercent: v.commission,
    });
  }
}, 60_000);

afterAll(async () => {
  await world?.service.stop();
  await db?.close();
  await drop?.();
});

describe('prepaid books under random operations (PostgreSQL)', () => {
  it(`balance after ${OPS.toLocaleString('en')} random mixes of vends (STS and OpenPAYGO, online and offline), reversals, FBE, advances, recoveries and float top-ups`, async () => {
    const ops = fc.sample(opArb, { numRuns: OPS, seed: 2026 });
    // An independent model of what the ledger must hold: vendor balances (centimes) and customer debts.
    // Centimes: PV1 starts with the setup's 2,500 top-up less the 2,000 allowance below.
    const balance = new Map<string, number>(VENDORS.map((v) => [v.id, v.id === 'PV1' ? 50_000 : 0]));
    const debt = new Map<string, number>();
    const sales: Array<{
      vendId: string;
      meterId: string;
      token: string;
      customerId: string;
      floatMoved: boolean;
    }> = [];
    // A mobile agent's device, provisioned from PV1's float, selling offline and syncing each sale.
    await recordFloatMovement(
      db,
      operator,
      'PV1',
      { kind: 'top-up', requestId: 't-setup', amount: 2500 },
      clock,
    );
    const allowance = await provisionAllowance(world.service, operator, 'PV1', {
      requestId: 'prop-round',
      deviceId: 'prop-dev',
      amount: 2000,
      meterIds: world.meters.slice(0, 4).map((m) => m.id),
      hours: 24 * 14,
    });
    const device = new OfflineVendingDevice('prop-dev');
    device.provision(allowance);
    const tokens: Array<{ meterId: string; token: string }> = [];
    const done: Record<string, number> = {};
    const refused: Record<string, number> = {};
    let recoveries = 0;
    const cents = (x: number): number => Math.round(x * 100);
    for (const [i, op] of ops.entries()) {
      clock = new Date(clock.getTime() + 7_000); // time passes between operations
      try {
        switch (op.k) {
          case 'vend': {
            const v = VENDORS[op.vendor]!;
            const m = world.meters[op.meter]!;
            const r = await world.service.vend(
              { id: `key:${v.id}`, role: 'vendor', vendorId: v.id },
              { meterId: m.id, amount: op.amount, requestId: `p-${i}` },
            );
            const moneyCents = cents(op.amount);
            const commission = Math.round((moneyCents * v.commission) / 100);
            balance.set(v.id, balance.get(v.id)! - (moneyCents - commission));
            const rec = cents(Number(r.receipt.debtRecovered));
            if (rec > 0) recoveries++;
            debt.set(m.customerId, (debt.get(m.customerId) ?? 0) - rec);
            sales.push({
              vendId: r.vendId,
              meterId: m.id,
              token: r.token,
              customerId: m.customerId,
              floatMoved: true,
            });
            tokens.push({ meterId: m.id, token: r.token });
            if (r.freeBasic) tokens.push({ meterId: m.id, token: r.freeBasic.token });
            break;
          }
          case 'reverse': {
            if (!sales.length) continue;
            const s = recent(sales, op.pick);
            const r = await reverseVend(world.service, operator, s.vendId, {
              refundTo: op.toCustomer ? 'customer' : 'vendor',
            });
            if (r.replayed) continue;
            const orig = await db.query<{ vendor_id: string; money: number }>(
              'SELECT vendor_id, money FROM vends WHERE id = $1',
              [s.vendId],
            );
            const v = VENDORS.find((x) => x.id === orig.rows[0]!.vendor_id)!;
            if (!op.toCustomer && s.floatMoved) {
              const moneyCents = cents(Number(orig.rows[0]!.money));
              balance.set(
                v.id,
                balance.get(v.id)! + moneyCents - Math.round((moneyCents * v.commission) / 100),
              );
            }
            debt.set(s.customerId, (debt.get(s.customerId) ?? 0) + cents(Number(r.receipt.debtRestored)));
            break;
          }
          case 'fbe': {
            const m = world.meters[op.meter]!;
            const r = await issueFreeBasic(world.service, operator, m.id, `fbe-${i}`);
            tokens.push({ meterId: m.id, token: r.token });
            break;
          }
          case 'advance': {
            const m = world.meters[op.meter]!;
            const r = await grantAdvance(world.service, operator, {
              meterId: m.id,
              units: op.units,
              requestId: `a-${i}`,
            });
            debt.set(m.customerId, (debt.get(m.customerId) ?? 0) + cents(Number(r.receipt.value)));
            tokens.push({ meterId: m.id, token: r.token });
            break;
          }
          case 'accept': {
            if (!tokens.length) continue;
            const t = recent(tokens, op.pick);
            await delivery.onEvent(
              topics.event(t.meterId),
              JSON.stringify({
                v: 1,
                meter: t.meterId,
                ts: clock.toISOString(),
                kind: 'token.accepted',
                token: t.token,
              }),
            );
            break;
          }
          case 'top-up': {
            const v = VENDORS[op.vendor]!;
            await recordFloatMovement(
              db,
              operator,
              v.id,
              { kind: 'top-up', requestId: `t-${i}`, amount: op.amount },
              clock,
            );
            balance.set(v.id, balance.get(v.id)! + cents(op.amount));
            break;
          }
          case 'payg': {
            const v = VENDORS[op.vendor]!;
            const r = await world.service.vend(
              { id: `key:${v.id}`, role: 'vendor', vendorId: v.id },
              { meterId: 'SHS1', amount: op.amount, requestId: `g-${i}` },
            );
            const moneyCents = cents(Number(r.receipt.money));
            balance.set(
              v.id,
              balance.get(v.id)! - (moneyCents - Math.round((moneyCents * v.commission) / 100)),
            );
            sales.push({
              vendId: r.vendId,
              meterId: 'SHS1',
              token: r.token,
              customerId: 'C2',
              floatMoved: true,
            });
            break;
          }
          case 'payg-set': {
            // An OpenPAYGO SET_TIME sold like ADD_TIME days: float, commission, reversible.
            const v = VENDORS[op.vendor]!;
            const r = await issuePaygCommand(
              world.service,
              { id: `key:${v.id}`, role: 'vendor', vendorId: v.id },
              'SHS1',
              { requestId: `gs-${i}`, type: 'SET_TIME', days: op.days },
            );
            const moneyCents = cents(Number(r.receipt.money));
            balance.set(
              v.id,
              balance.get(v.id)! - (moneyCents - Math.round((moneyCents * v.commission) / 100)),
            );
            sales.push({
              vendId: r.vendId,
              meterId: 'SHS1',
              token: r.token,
              customerId: 'C2',
              floatMoved: true,
            });
            break;
          }
          case 'offline': {
            const m = world.meters[op.meter]!;
            let sale;
            try {
              sale = device.sell(m.id, op.amount, clock);
            } catch {
              refused['offline:device-refused'] = (refused['offline:device-refused'] ?? 0) + 1;
              continue;
            }
            const out = await syncOffline(world.service, operator, {
              allowanceId: allowance.allowanceId,
              deviceId: 'prop-dev',
              vends: [sale],
            });
            const o = out.outcomes[0]!;
            if (o.status !== 'accepted') {
              refused[`offline:${o.status}`] = (refused[`offline:${o.status}`] ?? 0) + 1;
              continue;
            }
            sales.push({
              vendId: o.vendId!,
              meterId: m.id,
              token: sale.token,
              customerId: m.customerId,
              floatMoved: false,
            });
            tokens.push({ meterId: m.id, token: sale.token });
            break;
          }
          case 'clock':
            clock = new Date(clock.getTime() + op.minutes * 60_000);
            break;
        }
        done[op.k] = (done[op.k] ?? 0) + 1;
      } catch (err) {
        // Refusals are part of the mix (float, window, acceptance, FBE twice, advance limits): 4xx only.
        if (!(err instanceof GatewayError) || err.statusCode >= 500) throw err;
        refused[`${op.k}:${err.code}`] = (refused[`${op.k}:${err.code}`] ?? 0) + 1;
      }
    }
    const books = await ledgerBooks(db);
    expect(books).toMatchObject({ balanced: true, duplicateTokens: 0, vendorMismatches: 0 });
    const vendors = await db.query<{ id: string; balance: number }>(
      'SELECT id, balance FROM vendors ORDER BY id',
    );
    for (const v of vendors.rows) expect(cents(Number(v.balance))).toBe(balance.get(v.id));
    const customers = await db.query<{ id: string; debt: number }>('SELECT id, debt FROM customers');
    for (const c of customers.rows) expect(cents(Number(c.debt))).toBe(debt.get(c.id) ?? 0);
    // Every kind of operation happened, and so did the interesting refusals.
    for (const k of ['vend', 'reverse', 'fbe', 'advance', 'accept', 'top-up', 'payg', 'payg-set', 'offline'])
      expect(done[k]).toBeGreaterThan(0);
    // Device and centre price every offline sale alike (tariff blocks, month rollovers included).
    expect(refused['offline:price-mismatch']).toBeUndefined();
    expect(recoveries).toBeGreaterThan(0);
    const codes = new Set(Object.keys(refused).map((k) => k.split(':')[1]));
    for (const code of [
      'MG_ERR_VENDOR_FLOAT',
      'MG_ERR_VEND_REVERSAL_ACCEPTED',
      'MG_ERR_FBE_ALREADY_ISSUED',
    ]) {
      expect([...codes]).toContain(code);
    }
    expect(done.reverse).toBeGreaterThan(OPS / 100);
  }, 600_000);
});
