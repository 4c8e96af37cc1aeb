import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, measuredIndex, migrateBilling } from '../../billing/testing/world.js';
import { createApiKey } from '../../platform/index.js';
import { fieldWorld, layOut, type FieldWorld } from '../testing/world.js';

/**
 * Least privilege for the meter reader's phone: a reader key reaches only the rounds assigned to its
 * reader id (list, round, readings); another reader's round answers exactly as an unknown one; it
 * creates, suspends or closes nothing, and every other field route refuses it.
 */
let world: FieldWorld;
let samira = '';
let youssef = '';
let mine = '';
let theirs = '';

beforeAll(async () => {
  world = await fieldWorld({
    seed: async (d) => {
      await migrateBilling(d);
      for (let n = 1; n <= 2; n++) await addAccount(d, n);
      await measuredIndex(d, 'M-1', '2026-01-31', 1180);
    },
  });
  await layOut(world.field, [
    { meter: 'M-1', lat: 33.95, lon: -6.87, commune: 'Agdal-Riyad', transformer: 'T-1', reading: 'manual' },
    { meter: 'M-2', lat: 33.96, lon: -6.88, commune: 'Agdal-Riyad', transformer: 'T-1', reading: 'manual' },
  ]);
  samira = (await createApiKey(world.db, { role: 'reader', readerId: 'releveur-07' })).key;
  youssef = (await createApiKey(world.db, { role: 'reader', readerId: 'releveur-09' })).key;
  const create = async (reader: string) =>
    (
      await world.call('POST', '/api/reading-rounds', {
        area: 'commune:Agdal-Riyad',
        period: '2026-02',
        reader,
      })
    ).json().id as string;
  mine = await create('releveur-07');
  theirs = await create('releveur-09');
});
afterAll(async () => {
  await world.close();
});

const reading = (meter: string, index: number, readAt: string) => ({ meter, index, readAt });

describe('a reader key on reading rounds', () => {
  it('lists only its own rounds, whatever it asks, and is refused another reader’s list', async () => {
    const all = await world.call('GET', '/api/reading-rounds', undefined, samira);
    expect(all.statusCode).toBe(200);
    expect(all.json().rounds.map((r: { id: string; reader: string }) => [r.id, r.reader])).toEqual([
      [mine, 'releveur-07'],
    ]);
    const open = await world.call(
      'GET',
      '/api/reading-rounds?reader=releveur-07&status=open',
      undefined,
      samira,
    );
    expect(open.json().rounds.map((r: { id: string }) => r.id)).toEqual([mine]);
    const other = await world.call('GET', '/api/reading-rounds?reader=releveur-09', undefined, samira);
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe('MG_ERR_AUTH_FORBIDDEN');
    expect(other.body).not.toContain(theirs);
    // The operator still sees every reader's rounds.
    const staff = (await world.call('GET', '/api/reading-rounds')).json().rounds;
    expect(staff.map((r: { id: string }) => r.id).sort()).toEqual([mine, theirs].sort());
  });

  it('opens its own round; another reader’s round answers exactly as an unknown one', async () => {
    const own = await world.call('GET', `/api/reading-rounds/${mine}`, undefined, samira);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: mine, reader: 'releveur-07' });
    const other = await world.call('GET', `/api/reading-rounds/${theirs}`, undefined, samira);
    const unknown = await world.call('GET', '/api/reading-rounds/987654', undefined, samira);
    expect(other.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(other.json()).toEqual({
      ...unknown.json(),
      message: unknown.json().message.replace('987654', theirs),
    });
    expect(other.body).not.toContain('releveur-09');
    // Youssef opens his.
    expect((await world.call('GET', `/api/reading-rounds/${theirs}`, undefined, youssef)).statusCode).toBe(
      200,
    );
  });

  it('posts indexes to its own round only; nothing is stored on another reader’s', async () => {
    const ok = await world.call(
      'POST',
      `/api/reading-rounds/${mine}/readings`,
      reading('M-1', 1391, '2026-02-28T10:15:00Z'),
      samira,
    );
    expect(ok.json()).toEqual({ status: 'accepted' });
    const other = await world.call(
      'POST',
      `/api/reading-rounds/${theirs}/readings`,
      reading('M-2', 2100, '2026-02-28T10:20:00Z'),
      samira,
    );
    const unknown = await world.call(
      'POST',
      '/api/reading-rounds/987654/readings',
      reading('M-2', 2100, '2026-02-28T10:20:00Z'),
      samira,
    );
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({
      ...unknown.json(),
      message: unknown.json().message.replace('987654', theirs),
    });
    const stored = await world.db.query<{ round_id: string; meter_id: string }>(
      'SELECT round_id::text, meter_id FROM field_round_readings ORDER BY round_id, meter_id',
    );
    expect(stored.rows).toEqual([{ round_id: mine, meter_id: 'M-1' }]);
  });

  it('creates, suspends and closes no round, and every other field route refuses it', async () => {
    const create = await world.call(
      'POST',
      '/api/reading-rounds',
      { area: 'commune:Agdal-Riyad', period: '2026-03', reader: 'releveur-07' },
      samira,
    );
    expect(create.statusCode).toBe(403);
    expect(create.json().code).toBe('MG_ERR_AUTH_FORBIDDEN');
    const suspend = await world.call(
      'POST',
      `/api/reading-rounds/${mine}/status`,
      { status: 'closed' },
      samira,
    );
    expect(suspend.statusCode).toBe(403);
    for (const url of [
      '/api/recharge-rounds',
      '/api/map/meters?bbox=-7,33,-6,34',
      '/api/outages',
      '/api/work-orders',
    ]) {
      const r = await world.call('GET', url, undefined, samira);
      expect(r.statusCode, url).toBe(403);
      // A real route (the operator's answer is not 404), so the 403 is the role check. (The recharge
      // round needs the prepaid ledger, which this world does not have: the operator gets 500 here.)
      expect((await world.call('GET', url)).statusCode, url).not.toBe(404);
    }
    expect((await world.call('GET', `/api/reading-rounds/${mine}`)).json().status).toBe('open');
    expect((await world.db.query("SELECT 1 FROM field_rounds WHERE period = '2026-03'")).rows).toHaveLength(
      0,
    );
  });
});
