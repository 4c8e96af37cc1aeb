import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldWorld, type FieldWorld } from '../testing/world.js';
import { EdgeLocations } from './edge-locations.js';

/**
 * Locations of edge-attached meters, as their edge publishes them with the meter state: checked
 * like a line of the location import; a bad one is an error line naming the meter and the field,
 * and nothing is stored for that meter.
 */
let w: FieldWorld;
let edge: EdgeLocations;
const lines: string[] = [];
const errors: unknown[] = [];
let imports = 0;

const state = (meter: string, location?: Record<string, unknown>) =>
  JSON.stringify({
    v: 1,
    meter,
    ts: '2026-05-04T08:00:00Z',
    online: true,
    ...(location ? { location } : {}),
  });

beforeAll(async () => {
  w = await fieldWorld();
  edge = new EdgeLocations({
    locations: {
      import: (parsed, options) => {
        imports++;
        return w.field.locations.import(parsed, options);
      },
    },
    log: (level, message) => lines.push(`${level} ${message}`),
    onError: (err) => errors.push(err),
  });
});
afterAll(async () => {
  await w.close();
});

describe('locations published by edges', () => {
  it('stores a meter’s location as its connection point, once', async () => {
    const location = {
      lat: 31.6295,
      lon: -7.9811,
      address: '4 Derb Dabachi',
      commune: 'Marrakech-Médina',
      province: 'Marrakech',
      region: 'Marrakech-Safi',
      feeder: 'F-MK1',
      transformer: 'T-MK1',
      concentrator: 'C-MK1',
    };
    await edge.onState('E-1', state('E-1', location));
    expect(await w.field.locations.get('E-1')).toMatchObject({ meter: 'E-1', kind: 'postpaid', ...location });
    await edge.onState('E-1', Buffer.from(state('E-1', location)));
    expect(imports).toBe(1);
    // Moved: written again.
    await edge.onState('E-1', state('E-1', { ...location, lat: 31.63 }));
    expect(imports).toBe(2);
    expect((await w.field.locations.get('E-1'))?.lat).toBe(31.63);
    expect(lines).toEqual([]);
  });

  it('refuses bad coordinates with an error line naming the meter and field, storing nothing', async () => {
    await edge.onState('E-2', state('E-2', { lat: 123.4, lon: -7.98, transformer: 'T-MK1' }));
    await edge.onState('E-3', state('E-3', { lat: 31.6, lon: 'west' }));
    // The protocol accepts it, the import's own check does not (a concentrator needs its transformer).
    await edge.onState('E-4', state('E-4', { lat: 31.6, lon: -7.9, concentrator: 'C-MK1' }));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^error .*meter E-2 .*location\.lat: .*90/);
    expect(lines[1]).toMatch(/^error .*meter E-3 .*location\.lon/);
    expect(lines[2]).toMatch(/^error .*meter E-4 .*concentrator: needs its transformer/);
    for (const m of ['E-2', 'E-3', 'E-4']) expect(await w.field.locations.get(m)).toBeUndefined();
    expect(imports).toBe(2);
  });

  it('ignores states without a location, of another meter, or not states at all', async () => {
    await edge.onState('E-5', state('E-5'));
    await edge.onState('E-5', state('E-6', { lat: 31.6, lon: -7.9 }));
    await edge.onState('E-5', '{"v":1');
    expect(await w.field.locations.get('E-5')).toBeUndefined();
    expect(await w.field.locations.get('E-6')).toBeUndefined();
    expect(lines).toHaveLength(3);
    expect(errors).toEqual([]);
  });
});
