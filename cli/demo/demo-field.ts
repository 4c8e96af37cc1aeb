import type { FieldFeature, PointInput, PowerCut } from '../../gateway/field/index.js';
import type { SqlExecutor } from '../../gateway/platform/index.js';

/**
 * The demo's network in the field: the fleet laid over a plausible city district (Rabat, Agdal-Riyad
 * and Souissi around Hay Riad): three feeders, twelve distribution transformers (postes) on a grid
 * about 400 m apart, each meter within 150 m of its transformer, prepaid and postpaid mixed on every
 * transformer (meter i goes to transformer i mod 12). Deterministic: the same layout every run.
 */
const CENTRE = { lat: 33.9575, lon: -6.8735 };
const GRID_LAT = 0.0036; // ≈ 400 m
const GRID_LON = 0.0043; // ≈ 400 m at 34° N
const SPREAD_DEG = 0.0013; // ≈ 145 m
export const DEMO_TRANSFORMERS = 12;
const FEEDERS = [
  { id: 'F-NORD', commune: 'Agdal-Riyad' },
  { id: 'F-CENTRE', commune: 'Agdal-Riyad' },
  { id: 'F-SUD', commune: 'Souissi' },
];
const STREETS = [
  'Avenue Annakhil',
  'Rue Oum Errabia',
  'Avenue Mehdi Ben Barka',
  'Rue Jbel Tazekka',
  'Avenue Imam Malik',
  'Rue Moulouya',
  'Avenue Ibn Sina',
  'Rue Oued Sebou',
  'Rue Ait Baha',
  'Avenue Al Arz',
  'Rue Tansift',
  'Rue Ifrane',
];

/** A small deterministic generator (a 32-bit LCG, Numerical Recipes constants). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function transformerId(t: number): string {
  return `T-${String(t + 1).padStart(2, '0')}`;
}

/** The demo's connection points: one per meter, `manual` ones read by hand (no live meter). */
export function demoLayout(
  meters: readonly { id: string; kind: 'prepaid' | 'postpaid'; manual?: boolean }[],
): PointInput[] {
  const rnd = random(26);
  return meters.map((m, i) => {
    const t = i % DEMO_TRANSFORMERS;
    const feeder = FEEDERS[Math.floor(t / 4)]!;
    const row = Math.floor(t / 4) - 1;
    const col = (t % 4) - 1.5;
    const angle = rnd() * 2 * Math.PI;
    const r = Math.sqrt(rnd()) * SPREAD_DEG;
    const lat = CENTRE.lat - row * GRID_LAT + r * Math.sin(angle);
    const lon = CENTRE.lon + col * GRID_LON + r * Math.cos(angle);
    return {
      meter: m.id,
      lat: Math.round(lat * 1e6) / 1e6,
      lon: Math.round(lon * 1e6) / 1e6,
      address: `${1 + Math.floor(rnd() * 120)}, ${STREETS[(t + Math.floor(i / DEMO_TRANSFORMERS)) % STREETS.length]}`,
      commune: feeder.commune,
      province: 'Rabat',
      region: 'Rabat-Salé-Kénitra',
      feeder: feeder.id,
      transformer: transformerId(t),
      kind: m.kind,
      reading: m.manual ? 'manual' : 'remote',
    };
  });
}

/**
 * Lays out the live meters and the postpaid contracts' meters (read by hand: they have no simulated
 * meter behind them, so they are the demo's reading rounds).
 */
export async function seedDemoField(
  field: FieldFeature,
  db: SqlExecutor,
  live: readonly { id: string; kind: 'prepaid' | 'postpaid' }[],
): Promise<number> {
  const { rows } = await db.query<{ id: string }>('SELECT DISTINCT meter_id AS id FROM contracts ORDER BY 1');
  const liveIds = new Set(live.map((m) => m.id));
  const manual = rows
    .filter((r) => !liveIds.has(r.id))
    .map((r) => ({ id: r.id, kind: 'postpaid' as const, manual: true }));
  const points = demoLayout([...live, ...manual]).map((point, i) => ({ line: i + 1, point }));
  // The simulated fleet has not reported yet: its meters are laid out as the demo's own seed.
  const result = await field.locations.import({ ok: true, points }, { trusted: true });
  return result.ok ? result.imported : 0;
}

/** The simulated fleet's power switch, per meter: cutting one makes it dark for `ms`. */
export type PowerSwitch = (ms: number) => void;

/** POST /api/simulator/faults in the demo: cut the switches of the meters named. */
export function demoPowerCut(switches: () => ReadonlyMap<string, PowerSwitch>): PowerCut {
  return (meters, seconds) => {
    const all = switches();
    let cut = 0;
    for (const id of meters) {
      const sw = all.get(id);
      if (!sw) continue;
      sw(seconds * 1000);
      cut++;
    }
    return cut;
  };
}

/**
 * This month's reading round over the meters read by hand, assigned to the demo's meter reader
 * (once per month and data directory: a restart finds it open and keeps it).
 */
export async function seedDemoRound(field: FieldFeature, reader: string, now: Date): Promise<string> {
  const period = now.toISOString().slice(0, 7);
  const open = (await field.rounds.list({ reader, status: 'open' })).find((r) => r.period === period);
  return open?.id ?? (await field.rounds.create({ area: 'all', period, reader })).id;
}
