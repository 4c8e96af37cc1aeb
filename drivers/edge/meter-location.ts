import { Value } from '@sinclair/typebox/value';
import { MeterLocation } from '../../protocol/index.js';
import type { EdgeConfig } from './config.js';

/**
 * The locations edge.yaml gives its meters (`meters[].location`, `dlmsPush.meters[].location`),
 * checked against the protocol's MeterLocation: the same bounds as the gateway's location import
 * (WGS 84 ±90/±180, texts of at most 200 characters, network ids). A bad location is an error line
 * naming the meter and the field and is left out; the meter itself still runs.
 */
export function meterLocations(cfg: EdgeConfig): { locations: Map<string, MeterLocation>; errors: string[] } {
  const locations = new Map<string, MeterLocation>();
  const errors: string[] = [];
  const all = [...cfg.meters, ...(cfg.dlmsPush?.meters ?? [])];
  for (const m of all) {
    if (m.location === undefined) continue;
    const first = Value.Errors(MeterLocation, m.location).First();
    if (first) {
      const field = first.path ? `location${first.path.replace(/\//g, '.')}` : 'location';
      errors.push(`meter ${m.id}: ${field}: ${first.message}`);
      continue;
    }
    locations.set(m.id, m.location as MeterLocation);
  }
  return { locations, errors };
}
