import type { SqlExecutor } from '../../platform/index.js';
import type { Bbox } from './map-query.js';
import { METER_STATES, presentTables, smallStateSets, type MeterState } from './map-state.js';

/**
 * Every connection point with its state, in memory, sorted by longitude: what the zoomed-out map is
 * counted from. A district view is then a loop over typed arrays, a few milliseconds whatever the
 * database, where counting 100,000 meters by state in SQL at each pan took most of a second (more
 * on PGlite). ≈ 60 bytes a meter.
 */
export interface MapSnapshot {
  /** When it was read (epoch ms). */
  at: number;
  ids: string[];
  lon: Float64Array;
  lat: Float64Array;
  prepaid: Uint8Array;
  /** Index into METER_STATES. */
  state: Uint8Array;
  transformer: (string | null)[];
}

// Unit and record separators: never in a meter id, a number or a transformer id.
const US = '\u001f';
const RS = '\u001e';

/** Where the meters are: changes only with imports and work orders, so read again only then. */
interface Positions {
  version: string;
  at: number;
  ids: string[];
  lon: Float64Array;
  lat: Float64Array;
  prepaid: Uint8Array;
  transformer: (string | null)[];
  byId: Map<string, number>;
}

/** Cheap enough to ask at every refresh: changes whenever a point is added, moved or removed. */
async function positionsVersion(db: SqlExecutor): Promise<string> {
  const { rows } = await db.query<{ n: number; v: string | null }>(
    `SELECT count(*)::int AS n, max(updated_at)::text AS v FROM field_points`,
  );
  return `${rows[0]!.n}:${rows[0]!.v ?? ''}`;
}

/** Every point, sorted by longitude, in one round trip: one text, not 100,000 row objects. */
async function loadPositions(db: SqlExecutor, version: string): Promise<Positions> {
  const { rows } = await db.query<{ n: number; doc: string | null }>(
    `SELECT count(*)::int AS n,
            string_agg(concat_ws(chr(31), meter_id, lon, lat, kind, coalesce(transformer_id, '')),
                       chr(30) ORDER BY lon) AS doc
       FROM field_points`,
  );
  const n = rows[0]!.n;
  const pos: Positions = {
    version,
    at: Date.now(),
    ids: new Array<string>(n),
    lon: new Float64Array(n),
    lat: new Float64Array(n),
    prepaid: new Uint8Array(n),
    transformer: new Array<string | null>(n),
    byId: new Map(),
  };
  const records = n ? rows[0]!.doc!.split(RS) : [];
  for (let i = 0; i < n; i++) {
    const [id, lon, lat, kind, transformer] = records[i]!.split(US);
    pos.ids[i] = id!;
    pos.lon[i] = Number(lon);
    pos.lat[i] = Number(lat);
    pos.prepaid[i] = kind === 'prepaid' ? 1 : 0;
    pos.transformer[i] = transformer || null;
    pos.byId.set(id!, i);
  }
  return pos;
}

/** Meter ids of one text column (string_agg with RS), split. */
function idList(doc: string | null | undefined): string[] {
  return doc ? doc.split(RS) : [];
}

/** The first index whose longitude is ≥ lon (binary search over the sorted column). */
function lowerBound(xs: Float64Array, lon: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < lon) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type ClusterProperties = { cluster: true; id: string; count: number; prepaid: number } & Record<
  MeterState,
  number
>;

/**
 * The bbox cut into `cells` × `cells` squares; each non-empty one is a Point at its meters'
 * centroid with their count by state and kind. Cells are numbered from the bbox's south-west.
 */
export function clusterSnapshot(
  snap: MapSnapshot,
  bbox: Bbox,
  cells: number,
): {
  type: 'FeatureCollection';
  generatedAt: string;
  features: {
    type: 'Feature';
    geometry: { type: 'Point'; coordinates: [number, number] };
    properties: ClusterProperties;
  }[];
} {
  const [minLon, minLat, maxLon, maxLat] = bbox;
  const w = maxLon - minLon;
  const h = maxLat - minLat;
  const k = METER_STATES.length;
  // Cell → slot, then flat per-slot sums: no object per point, no Map lookups in the hot loop.
  const slotOf = new Int32Array(cells * cells).fill(-1);
  const keys: number[] = [];
  const count: number[] = [];
  const sumLon: number[] = [];
  const sumLat: number[] = [];
  const prepaid: number[] = [];
  const states: number[] = [];
  for (let i = lowerBound(snap.lon, minLon); i < snap.lon.length && snap.lon[i]! <= maxLon; i++) {
    const lat = snap.lat[i]!;
    if (lat < minLat || lat > maxLat) continue;
    const lon = snap.lon[i]!;
    const cx = w > 0 ? Math.min(Math.floor(((lon - minLon) / w) * cells), cells - 1) : 0;
    const cy = h > 0 ? Math.min(Math.floor(((lat - minLat) / h) * cells), cells - 1) : 0;
    const key = cy * cells + cx;
    let slot = slotOf[key]!;
    if (slot < 0) {
      slot = keys.length;
      slotOf[key] = slot;
      keys.push(key);
      count.push(0);
      sumLon.push(0);
      sumLat.push(0);
      prepaid.push(0);
      for (let j = 0; j < k; j++) states.push(0);
    }
    count[slot]! += 1;
    sumLon[slot]! += lon;
    sumLat[slot]! += lat;
    prepaid[slot]! += snap.prepaid[i]!;
    states[slot * k + snap.state[i]!]! += 1;
  }
  const features = keys
    .map((key, slot) => ({ key, slot }))
    .sort((a, b) => a.key - b.key)
    .map(({ key, slot }) => {
      const n = count[slot]!;
      const properties = {
        cluster: true,
        id: `cell:${key % cells}:${Math.floor(key / cells)}`,
        count: n,
        prepaid: prepaid[slot]!,
      } as ClusterProperties;
      METER_STATES.forEach((st, j) => (properties[st] = states[slot * k + j]!));
      return {
        type: 'Feature' as const,
        geometry: {
          type: 'Point' as const,
          coordinates: [sumLon[slot]! / n, sumLat[slot]! / n] as [number, number],
        },
        properties,
      };
    });
  return { type: 'FeatureCollection', generatedAt: new Date(snap.at).toISOString(), features };
}

/** The bbox that holds every point, or null for an empty network. */
export function snapshotBounds(snap: MapSnapshot): Bbox | null {
  const n = snap.lon.length;
  if (n === 0) return null;
  let minLat = Infinity;
  let maxLat = -Infinity;
  for (let i = 0; i < n; i++) {
    minLat = Math.min(minLat, snap.lat[i]!);
    maxLat = Math.max(maxLat, snap.lat[i]!);
  }
  return [snap.lon[0]!, minLat, snap.lon[n - 1]!, maxLat];
}

export interface MapIndexOptions {
  db: SqlExecutor;
  silentSeconds: number;
  /** A snapshot younger than this is served as it is (default 5 s). */
  maxAgeMs?: number;
  /** Older than this, a request waits for a fresh one instead of being served the old (default 60 s). */
  maxStaleMs?: number;
  /** Positions are read again at least this often, whatever their version says (default 5 min). */
  positionsMaxAgeMs?: number;
  onError?: (err: unknown) => void;
}

/** Readings committed this late after a refresh began are still caught by the next one. */
const FIRST_SEEN_MARGIN_MS = 60_000;

/**
 * The snapshot, kept fresh lazily: built on the first request, then refreshed in the background
 * when a request finds it older than `maxAgeMs` (that request is served the previous one: map
 * colours are at most a few seconds behind, never the pan). Nobody looking costs nothing.
 *
 * A refresh reads only what changes: the positions when their version moved, the small state sets
 * (open outages, relays, low credit, anomalies, estimates), and the last readings for the silent
 * meters and those that reported for the first time (so `unread` shrinks). States are given in
 * METER_STATES order, as the SQL of GET /api/map/meters does (map-state.ts).
 */
export class MapIndex {
  private current: MapSnapshot | undefined;
  private loading: Promise<MapSnapshot> | undefined;
  private positions: Positions | undefined;
  /** Per position: 1 while the meter never reported. */
  private unread = new Uint8Array(0);
  private reportedSince = 0;
  private readonly options: MapIndexOptions;

  constructor(options: MapIndexOptions) {
    this.options = options;
  }

  async snapshot(): Promise<MapSnapshot> {
    const age = this.current ? Date.now() - this.current.at : Infinity;
    if (age < (this.options.maxAgeMs ?? 5_000)) return this.current!;
    const load = this.refresh();
    if (age < (this.options.maxStaleMs ?? 60_000)) {
      load.catch((err: unknown) => this.options.onError?.(err));
      return this.current!;
    }
    return load;
  }

  /** One refresh at a time; concurrent callers share it. */
  refresh(): Promise<MapSnapshot> {
    this.loading ??= this.read()
      .then((snap) => (this.current = snap))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async read(): Promise<MapSnapshot> {
    const { db } = this.options;
    const now = Date.now();
    const version = await positionsVersion(db);
    let pos = this.positions;
    if (!pos || pos.version !== version || now - pos.at > (this.options.positionsMaxAgeMs ?? 300_000)) {
      pos = await loadPositions(db, version);
      // Which of them never reported: one anti-join here, then kept up to date from first_seen.
      const { rows } = await db.query<{ doc: string | null }>(
        `SELECT string_agg(p.meter_id, chr(30)) AS doc FROM field_points p
          WHERE NOT EXISTS (SELECT 1 FROM meter_last_reading l WHERE l.meter_id = p.meter_id)`,
      );
      this.unread = new Uint8Array(pos.ids.length);
      for (const id of idList(rows[0]!.doc)) {
        const i = pos.byId.get(id);
        if (i !== undefined) this.unread[i] = 1;
      }
      this.positions = pos;
      this.reportedSince = now;
    }
    const sets = smallStateSets(await presentTables(db));
    const { rows } = await db.query<Record<string, string | null>>(
      `SELECT (SELECT string_agg(meter_id, chr(30)) FROM meter_last_reading WHERE ts < $1) AS silent,
              (SELECT string_agg(meter_id, chr(30)) FROM meter_last_reading WHERE first_seen >= $2) AS reported
              ${sets.map((s, i) => `, (SELECT string_agg(x.meter_id, chr(30)) FROM (${s.sql}) x) AS s${i}`).join('')}`,
      [
        new Date(now - this.options.silentSeconds * 1000),
        new Date(this.reportedSince - FIRST_SEEN_MARGIN_MS),
      ],
    );
    const row = rows[0]!;
    for (const id of idList(row.reported)) {
      const i = pos.byId.get(id);
      if (i !== undefined) this.unread[i] = 0;
    }
    this.reportedSince = now;
    const byState = new Map<MeterState, string[]>([['silent', idList(row.silent)]]);
    sets.forEach((s, i) => byState.set(s.state, idList(row[`s${i}`])));
    // Least urgent first, so a more urgent state overwrites it.
    const state = new Uint8Array(pos.ids.length).fill(METER_STATES.indexOf('reporting'));
    for (let k = METER_STATES.length - 1; k >= 0; k--) {
      const st = METER_STATES[k]!;
      if (st === 'unread') {
        for (let i = 0; i < state.length; i++) if (this.unread[i]) state[i] = k;
        continue;
      }
      for (const id of byState.get(st) ?? []) {
        const i = pos.byId.get(id);
        if (i !== undefined) state[i] = k;
      }
    }
    return {
      at: now,
      ids: pos.ids,
      lon: pos.lon,
      lat: pos.lat,
      prepaid: pos.prepaid,
      state,
      transformer: pos.transformer,
    };
  }
}

/** A snapshot read once, for callers without a long-lived index (and the bench's cold build). */
export function loadSnapshot(db: SqlExecutor, options: { silentSeconds: number }): Promise<MapSnapshot> {
  return new MapIndex({ db, silentSeconds: options.silentSeconds }).refresh();
}
