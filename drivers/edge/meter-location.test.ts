import { describe, expect, it } from 'vitest';
import { validateEdgeConfig } from './config.js';
import { meterLocations } from './meter-location.js';

/** edge.yaml `location` of a meter: any object passes the file check; the fields are checked at start. */
describe('meter locations in edge.yaml', () => {
  it('keeps good locations and names the meter and field of a bad one', () => {
    const cfg = validateEdgeConfig({
      edgeId: 'e',
      broker: { url: 'mqtt://x' },
      outbox: { dir: '/tmp/x' },
      meters: [
        {
          id: 'ok',
          interval: 1,
          transport: { type: 'dlms', host: 'h' },
          location: { lat: 35.76, lon: -5.83, commune: 'Tanger', transformer: 'T-1', feeder: 'F-1' },
        },
        { id: 'far', interval: 1, transport: { type: 'dlms', host: 'h' }, location: { lat: 35.7, lon: 200 } },
        {
          id: 'typo',
          interval: 1,
          transport: { type: 'dlms', host: 'h' },
          location: { lat: 35.7, lng: -5.8 },
        },
        { id: 'none', interval: 1, transport: { type: 'dlms', host: 'h' } },
      ],
      dlmsPush: {
        port: 4059,
        objects: [{ ref: '1:0.0.42.0.0.255:2' }],
        meters: [{ id: 'pushed', location: { lat: 35.77, lon: -5.8, transformer: 'not an id!' } }],
      },
    });
    expect(cfg.ok).toBe(true);
    if (!cfg.ok) return;
    const { locations, errors } = meterLocations(cfg.value);
    expect([...locations.keys()]).toEqual(['ok']);
    expect(locations.get('ok')).toEqual({
      lat: 35.76,
      lon: -5.83,
      commune: 'Tanger',
      transformer: 'T-1',
      feeder: 'F-1',
    });
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^meter far: location\.lon: .*180/);
    expect(errors[1]).toMatch(/^meter typo: location/);
    expect(errors[2]).toMatch(/^meter pushed: location\.transformer: /);
  });

  it('refuses a location that is not an object, naming its key', () => {
    const r = validateEdgeConfig({
      edgeId: 'e',
      broker: { url: 'mqtt://x' },
      outbox: { dir: '/tmp/x' },
      meters: [{ id: 'm', interval: 1, transport: { type: 'dlms', host: 'h' }, location: '35.7,-5.8' }],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(/meters\[0\]\.location/);
  });
});
