import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingRunner } from '../../billing/index.js';
import { addAccount, measuredIndex, migrateBilling } from '../../billing/testing/world.js';
import type { SqlDatabase } from '../../platform/index.js';
import type { FieldFeature } from '../field-feature.js';
import { fieldWorld, layOut, type FieldWorld } from '../testing/world.js';
import { continuedIndex } from './meter-exchange.js';

let world: FieldWorld;
let db: SqlDatabase;
let field: FieldFeature;
const OBIS = '1-0:1.8.0';

beforeAll(async () => {
  world = await fieldWorld({
    seed: async (d) => {
      await migrateBilling(d);
      await addAccount(d, 1); // contract E-0000001 on M-1, initial index 1000
      await addAccount(d, 2); // the same consumption on one meter, for comparison
      await measuredIndex(d, 'M-1', '2026-01-31', 1180);
      await measuredIndex(d, 'M-2', '2026-01-31', 1180);
      await measuredIndex(d, 'M-2', '2026-02-28', 1380);
    },
  });
  ({ db, field } = world);
  await layOut(field, [
    { meter: 'M-1', lat: 33.95, lon: -6.87, transformer: 'T-1' },
    { meter: 'M-2', lat: 33.951, lon: -6.871, transformer: 'T-1' },
  ]);
});
afterAll(async () => {
  await world.close();
});

const post = (url: string, body: unknown) => world.call('POST', url, body);

async function bill(period: string) {
  const runner = new BillingRunner({ db, batchSize: 100, clock: () => new Date('2026-03-06T08:00:00Z') });
  const run = await runner.create(period, 'test');
  await runner.execute(run.id);
  const { rows } = await db.query<{
    contract: string;
    previous: number;
    next: number;
    consumption: number;
    ht: number;
  }>(
    `SELECT contract_number AS contract, previous_index::int AS previous, new_index::int AS next,
            consumption::int AS consumption, amount_ht::int AS ht
       FROM bills WHERE period_key = $1 ORDER BY contract_number`,
    [period],
  );
  return rows;
}

describe('work orders and meter exchange', () => {
  it('continues the register: old + new consumption', () => {
    expect(continuedIndex({ oldFinalIndex: 1300, newInitialIndex: 5 }, 85)).toBe(1380);
  });

  it('refuses a bad exchange with a clear 4xx and stores nothing', async () => {
    const base = {
      kind: 'exchange',
      meter: 'M-1',
      newMeter: 'N-1',
      oldFinalIndex: 1300,
      newInitialIndex: 5,
      at: '2026-02-15T10:00:00Z',
    };
    const cases: [unknown, number, string?][] = [
      [{ ...base, meter: 'NOPE' }, 404, 'MG_ERR_FIELD_UNKNOWN_METER'],
      [{ ...base, newMeter: 'M-2' }, 409, 'MG_ERR_FIELD_METER_INSTALLED_ELSEWHERE'],
      [{ ...base, oldFinalIndex: 1100 }, 422, 'MG_ERR_FIELD_EXCHANGE_INDEX'],
      [{ ...base, newInitialIndex: -1 }, 400],
      [{ ...base, newInitialIndex: '5' }, 400],
      [{ ...base, newMeter: undefined }, 400],
      [{ kind: 'teleport', meter: 'M-1' }, 400],
    ];
    for (const [body, status, code] of cases) {
      const r = await post('/api/work-orders', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      if (code) expect(r.json().code).toBe(code);
    }
    expect((await db.query('SELECT 1 FROM field_meter_exchanges')).rows).toHaveLength(0);
  });

  it('bills the period spanning an exchange as old-meter + new-meter consumption, exactly', async () => {
    const january = await bill('2026-01');
    expect(january.map((b) => [b.contract, b.consumption])).toEqual([
      ['E-0000001', 180],
      ['E-0000002', 180],
    ]);
    // Mid-February the meter is exchanged: M-1 removed at 1300, N-1 installed at 5.
    const wo = await post('/api/work-orders', {
      kind: 'exchange',
      meter: 'M-1',
      newMeter: 'N-1',
      oldFinalIndex: 1300,
      newInitialIndex: 5,
      at: '2026-02-15T10:00:00Z',
      assignee: 'equipe-3',
    });
    expect(wo.statusCode).toBe(201);
    expect(wo.json()).toMatchObject({ kind: 'exchange', status: 'completed', meter: 'M-1', newMeter: 'N-1' });
    // The new meter reads 85 at the end of February (what ingest hands the live hub).
    await field.exchanges.mirror('N-1', new Date('2026-02-28T23:00:00Z'), { [OBIS]: 85 });
    const february = await bill('2026-02');
    const [exchanged, single] = february;
    // (1300 − 1180) + (85 − 5) = 120 + 80 = 200 kWh, priced exactly as 200 kWh on one meter.
    expect(exchanged).toMatchObject({ contract: 'E-0000001', previous: 1180, next: 1380, consumption: 200 });
    expect(exchanged!.ht).toBe(single!.ht);
    // The connection point holds the new meter now; the new meter cannot come in twice.
    expect(await field.locations.get('N-1')).toMatchObject({
      meter: 'N-1',
      transformer: 'T-1',
      customerId: 'cust-1',
    });
    expect(await field.locations.get('M-1')).toBeUndefined();
    const again = await post('/api/work-orders', {
      kind: 'exchange',
      meter: 'M-2',
      newMeter: 'N-1',
      oldFinalIndex: 1400,
      newInitialIndex: 0,
      at: '2026-03-01T10:00:00Z',
    });
    expect(again.json().code).toBe('MG_ERR_FIELD_METER_INSTALLED_ELSEWHERE');
  });

  it('moves other work orders along their workflow', async () => {
    const created = await post('/api/work-orders', {
      kind: 'inspection',
      meter: 'M-2',
      note: 'anomaly vs last year',
    });
    expect(created.json()).toMatchObject({ status: 'open', kind: 'inspection' });
    const id = created.json().id as string;
    expect(
      (await post(`/api/work-orders/${id}/status`, { status: 'assigned', assignee: 'agent-12' })).json(),
    ).toMatchObject({ status: 'assigned', assignee: 'agent-12' });
    expect((await post(`/api/work-orders/${id}/status`, { status: 'completed' })).json().status).toBe(
      'completed',
    );
    const back = await post(`/api/work-orders/${id}/status`, { status: 'open' });
    expect(back.statusCode).toBe(409);
    expect(back.json().code).toBe('MG_ERR_FIELD_WORK_ORDER_TRANSITION');
    expect((await post('/api/work-orders/999/status', { status: 'completed' })).json().code).toBe(
      'MG_ERR_FIELD_WORK_ORDER_NOT_FOUND',
    );
    const list = await world.call('GET', '/api/work-orders?meter=M-2');
    expect(list.json().workOrders).toHaveLength(1);
  });
});
