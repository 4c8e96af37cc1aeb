import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import type { BusHandler } from '../../platform/index.js';
import { fieldWorld, layOut, type FieldWorld } from '../testing/world.js';
import { OutageDetector } from './outage-detector.js';
import { DEFAULT_OUTAGE_RULE } from './outage-rule.js';
import { subscribePowerEvents } from './power-events.js';

/**
 * Power events (a DLMS meter's "last gasp" and its power-up) in the outage detector: a meter that
 * sent its last gasp is without power at once, the transformer rule still tells an outage from one
 * meter's fault, and power-up events or resumed readings close the incident.
 */
let w: FieldWorld;
let now: Date;
let detector: OutageDetector;
const T0 = new Date('2026-05-04T21:00:00Z');
// Silence alone would take a day here: what happens is the power events' doing.
const RULE = { ...DEFAULT_OUTAGE_RULE, silentSeconds: 86_400 };
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function reading(meter: string, ts: Date) {
  await w.db.query(
    `INSERT INTO meter_last_reading (meter_id, ts, seq, "values", quality, source) VALUES ($1, $2, 1, '{}', 'good', 'dlms')
     ON CONFLICT (meter_id) DO UPDATE SET ts = excluded.ts`,
    [meter, ts],
  );
}

const cause = async (id: string) =>
  (await w.db.query<{ cause: string }>('SELECT cause FROM field_outages WHERE id = $1::bigint', [id])).rows[0]
    ?.cause;

beforeAll(async () => {
  w = await fieldWorld();
  // Four meters behind T-G1, two behind T-G2, one feeder.
  await layOut(w.field, [
    ...['G-1', 'G-2', 'G-3', 'G-4'].map((meter, i) => ({
      meter,
      lat: 34.02 + i / 1e4,
      lon: -6.83,
      feeder: 'F-G',
      transformer: 'T-G1',
    })),
    ...['G-5', 'G-6'].map((meter, i) => ({
      meter,
      lat: 34.03 + i / 1e4,
      lon: -6.84,
      feeder: 'F-G',
      transformer: 'T-G2',
    })),
  ]);
  for (const m of ['G-1', 'G-2', 'G-3', 'G-4', 'G-5', 'G-6']) await reading(m, T0);
  now = at(1);
  detector = new OutageDetector({
    db: w.db,
    store: w.field.outages,
    rule: RULE,
    now: () => now,
  });
});
afterAll(async () => {
  await detector.stop();
  await w.close();
});

describe('outage detection with power events', () => {
  it('opens one outage at once when three of a transformer’s four meters send their last gasp', async () => {
    await detector.powerEvent('G-1', 'down', at(60));
    await detector.powerEvent('G-2', 'down', at(61));
    now = at(62);
    // Two gasps: below minMeters (3), each stays one meter's fault.
    expect((await detector.check()).opened).toHaveLength(0);
    await detector.powerEvent('G-3', 'down', at(62));
    // No silentSeconds wait: the check right after the third gasp opens it.
    const { opened } = await detector.check();
    expect(opened).toMatchObject([
      {
        status: 'open',
        transformer: 'T-G1',
        feeder: 'F-G',
        meters: ['G-1', 'G-2', 'G-3'],
        startedAt: at(62).toISOString(),
      },
    ]);
    expect(await cause(opened[0]!.id)).toBe('last-gasp');
    expect((await detector.check()).opened).toHaveLength(0);
  });

  it('keeps a single meter’s last gasp a fault of that meter', async () => {
    await detector.powerEvent('G-5', 'down', at(70));
    now = at(71);
    const { opened } = await detector.check();
    expect(opened).toHaveLength(0);
    expect((await w.field.outages.list({ status: 'open' })).map((o) => o.transformer)).toEqual(['T-G1']);
  });

  it('closes the incident at the first power-up, once the rule no longer holds', async () => {
    await detector.powerEvent('G-2', 'up', at(300));
    now = at(301);
    // G-1 and G-3 still dark (2 of 4): below minMeters, the incident ends.
    const { closed } = await detector.check();
    expect(closed).toMatchObject([
      {
        transformer: 'T-G1',
        status: 'closed',
        startedAt: at(62).toISOString(),
        endedAt: at(300).toISOString(),
      },
    ]);
    // A late, duplicated last gasp older than the power-up changes nothing.
    await detector.powerEvent('G-2', 'down', at(61));
    await detector.powerEvent('G-1', 'up', at(302));
    await detector.powerEvent('G-3', 'up', at(302));
    await detector.powerEvent('G-5', 'up', at(302));
    now = at(303);
    expect(await detector.check()).toEqual({ opened: [], closed: [] });
  });

  it('closes on resumed readings when no power-up event comes', async () => {
    for (const m of ['G-1', 'G-2', 'G-3', 'G-4']) await detector.powerEvent(m, 'down', at(600));
    now = at(601);
    const { opened } = await detector.check();
    expect(opened).toMatchObject([{ transformer: 'T-G1', meters: ['G-1', 'G-2', 'G-3', 'G-4'] }]);
    // G-5 and G-6 keep reporting meanwhile; T-G1's meters report again from 900 s on.
    for (const m of ['G-5', 'G-6']) await reading(m, at(890));
    for (const m of ['G-1', 'G-2', 'G-3', 'G-4']) await reading(m, at(900 + Number(m.slice(2))));
    now = at(910);
    const { closed } = await detector.check();
    expect(closed).toMatchObject([{ transformer: 'T-G1', endedAt: at(901).toISOString() }]);
  });

  it('checks at once after a power event when started (no tick to wait for)', async () => {
    const started = new OutageDetector({
      db: w.db,
      store: w.field.outages,
      rule: { ...RULE, checkEverySeconds: 3600 },
      now: () => at(1000),
    }).start();
    // The events come from the bus, as the field feature wires them.
    let handler: BusHandler | undefined;
    const errors: unknown[] = [];
    await subscribePowerEvents({
      bus: { subscribe: async (_f, h) => void (handler = h) },
      topics: new TopicScheme(),
      detector: started,
      onError: (err) => errors.push(err),
    });
    const publish = (meter: string, kind: string, ts: Date) =>
      handler!({
        topic: `metergate/v1/meters/${meter}/event`,
        payload: Buffer.from(JSON.stringify({ v: 1, meter, ts: ts.toISOString(), kind })),
        qos: 1,
        retain: false,
        duplicate: false,
        ack: () => undefined,
      });
    try {
      for (const m of ['G-1', 'G-2', 'G-3']) await publish(m, 'power.failure', at(990));
      // Not a power event, and an event on another meter's topic: both ignored.
      await publish('G-4', 'tamper', at(990));
      await handler!({
        topic: 'metergate/v1/meters/G-4/event',
        payload: Buffer.from(
          JSON.stringify({ v: 1, meter: 'G-6', ts: at(990).toISOString(), kind: 'power.failure' }),
        ),
        qos: 1,
        retain: false,
        duplicate: false,
        ack: () => undefined,
      });
      await expect
        .poll(async () => (await w.field.outages.list({ status: 'open' })).map((o) => o.meters))
        .toEqual([['G-1', 'G-2', 'G-3']]);
      for (const m of ['G-1', 'G-2', 'G-3'])
        await publish(m, 'power.restored', at(1100 + Number(m.slice(2))));
      await expect.poll(async () => (await w.field.outages.list({ status: 'open' })).length).toBe(0);
      expect((await w.field.outages.list({ status: 'closed' }))[0]).toMatchObject({
        startedAt: at(990).toISOString(),
        endedAt: at(1101).toISOString(),
      });
      const power = await w.db.query('SELECT 1 FROM field_meter_power WHERE meter_id = $1', ['G-6']);
      expect(power.rows).toHaveLength(0);
      expect(errors).toEqual([]);
    } finally {
      await started.stop();
    }
  });
});
