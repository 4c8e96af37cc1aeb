/**
 * Connection points from a CSV or GeoJSON document, validated line by line. Parsing is pure: it
 * returns the points or every bad line with its number and reason; the database checks (unknown
 * meters) come after, in LocationStore.import, and the import is all-or-nothing.
 */

export interface PointInput {
  meter: string;
  lat: number;
  lon: number;
  address?: string;
  commune?: string;
  province?: string;
  region?: string;
  feeder?: string;
  transformer?: string;
  concentrator?: string;
  kind?: 'prepaid' | 'postpaid';
  reading?: 'remote' | 'manual';
}

/** A bad line: 1-based (the CSV header is line 1; a GeoJSON feature's line is its index + 1). */
export interface LineError {
  line: number;
  reason: string;
}

export type ParsedPoints =
  { ok: true; points: { line: number; point: PointInput }[] } | { ok: false; errors: LineError[] };

// WGS 84 bounds (EPSG:4326).
export const MAX_LATITUDE = 90;
export const MAX_LONGITUDE = 180;
export const MAX_IMPORT_LINES = 200_000;
const MAX_ERRORS = 1000;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const TEXT_FIELDS = ['address', 'commune', 'province', 'region'] as const;
const NETWORK_FIELDS = ['feeder', 'transformer', 'concentrator'] as const;

export function coordinatesValid(lat: number, lon: number): boolean {
  return (
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    Math.abs(lat) <= MAX_LATITUDE &&
    Math.abs(lon) <= MAX_LONGITUDE
  );
}

/** One record (CSV row or GeoJSON properties + coordinates) checked; the reason of the first fault. */
export function checkPoint(
  raw: Record<string, unknown>,
): { ok: true; point: PointInput } | { ok: false; reason: string } {
  const meter = raw.meter;
  if (typeof meter !== 'string' || !ID.test(meter))
    return { ok: false, reason: 'meter: missing or not an id' };
  const lat = typeof raw.lat === 'string' && raw.lat.trim() !== '' ? Number(raw.lat) : raw.lat;
  const lon = typeof raw.lon === 'string' && raw.lon.trim() !== '' ? Number(raw.lon) : raw.lon;
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) {
    return { ok: false, reason: 'lat/lon: missing or not a number' };
  }
  if (!coordinatesValid(lat, lon)) {
    return { ok: false, reason: `coordinates out of range (lat ${lat}, lon ${lon}; WGS 84 ±90, ±180)` };
  }
  const point: PointInput = { meter, lat, lon };
  for (const f of TEXT_FIELDS) {
    const v = raw[f];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' || v.length > 200 || v.includes('\u0000')) {
      return { ok: false, reason: `${f}: text of at most 200 characters` };
    }
    point[f] = v;
  }
  for (const f of NETWORK_FIELDS) {
    const v = raw[f];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' || !ID.test(v)) return { ok: false, reason: `${f}: not an id` };
    point[f] = v;
  }
  if (point.concentrator && !point.transformer) {
    return { ok: false, reason: 'concentrator: needs its transformer' };
  }
  if (point.feeder && !point.transformer) return { ok: false, reason: 'feeder: needs a transformer' };
  const kind = raw.kind;
  if (kind !== undefined && kind !== '' && kind !== null) {
    if (kind !== 'prepaid' && kind !== 'postpaid') return { ok: false, reason: 'kind: prepaid or postpaid' };
    point.kind = kind;
  }
  const reading = raw.reading;
  if (reading !== undefined && reading !== '' && reading !== null) {
    if (reading !== 'remote' && reading !== 'manual')
      return { ok: false, reason: 'reading: remote or manual' };
    point.reading = reading;
  }
  return { ok: true, point };
}

/** RFC 4180 fields of one line: commas, double quotes around fields, "" for a quote. */
export function splitCsvLine(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return undefined; // unterminated quote
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      if (i < line.length && line[i] !== ',') return undefined;
    } else {
      const end = line.indexOf(',', i);
      out.push((end < 0 ? line.slice(i) : line.slice(i, end)).trim());
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function finish(points: { line: number; point: PointInput }[], errors: LineError[]): ParsedPoints {
  const seen = new Map<string, number>();
  for (const { line, point } of points) {
    const first = seen.get(point.meter);
    if (first !== undefined)
      errors.push({ line, reason: `duplicate point: meter ${point.meter} already on line ${first}` });
    else seen.set(point.meter, line);
  }
  if (errors.length)
    return { ok: false, errors: errors.sort((a, b) => a.line - b.line).slice(0, MAX_ERRORS) };
  if (!points.length)
    return { ok: false, errors: [{ line: 1, reason: 'no connection point in the document' }] };
  return { ok: true, points };
}

/** CSV with a header line naming the columns (meter, lat, lon required; any order). */
export function parsePointsCsv(text: string): ParsedPoints {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '')?.map((h) => h.toLowerCase());
  if (!header || !['meter', 'lat', 'lon'].every((c) => header.includes(c))) {
    return { ok: false, errors: [{ line: 1, reason: 'header must name the columns meter, lat and lon' }] };
  }
  if (lines.length > MAX_IMPORT_LINES + 1) {
    return {
      ok: false,
      errors: [{ line: MAX_IMPORT_LINES + 2, reason: `more than ${MAX_IMPORT_LINES} lines` }],
    };
  }
  const errors: LineError[] = [];
  const points: { line: number; point: PointInput }[] = [];
  lines.slice(1).forEach((text, i) => {
    const line = i + 2;
    if (!text.trim()) return;
    const fields = splitCsvLine(text);
    if (!fields) return void errors.push({ line, reason: 'malformed CSV (unterminated quote)' });
    if (fields.length !== header.length) {
      return void errors.push({ line, reason: `${fields.length} fields, the header has ${header.length}` });
    }
    const record: Record<string, unknown> = {};
    header.forEach((h, k) => (record[h] = fields[k]));
    const checked = checkPoint(record);
    if (checked.ok) points.push({ line, point: checked.point });
    else errors.push({ line, reason: checked.reason });
  });
  return finish(points, errors);
}

/** A GeoJSON FeatureCollection of Point features (RFC 7946: coordinates are [lon, lat]). */
export function parsePointsGeoJson(text: string): ParsedPoints {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, errors: [{ line: 0, reason: 'not valid JSON' }] };
  }
  const features = (doc as { type?: unknown; features?: unknown } | null)?.features;
  if ((doc as { type?: unknown } | null)?.type !== 'FeatureCollection' || !Array.isArray(features)) {
    return { ok: false, errors: [{ line: 0, reason: 'not a GeoJSON FeatureCollection' }] };
  }
  if (features.length > MAX_IMPORT_LINES) {
    return { ok: false, errors: [{ line: 0, reason: `more than ${MAX_IMPORT_LINES} features` }] };
  }
  const errors: LineError[] = [];
  const points: { line: number; point: PointInput }[] = [];
  features.forEach((f: unknown, i) => {
    const line = i + 1;
    const g = (f as { geometry?: { type?: unknown; coordinates?: unknown } } | null)?.geometry;
    const props = (f as { properties?: unknown } | null)?.properties;
    if (!g || g.type !== 'Point' || !Array.isArray(g.coordinates) || g.coordinates.length < 2) {
      return void errors.push({ line, reason: 'geometry: a Point with [lon, lat]' });
    }
    if (!props || typeof props !== 'object' || Array.isArray(props)) {
      return void errors.push({ line, reason: 'properties: an object with meter' });
    }
    const [lon, lat] = g.coordinates as unknown[];
    const checked = checkPoint({ ...(props as Record<string, unknown>), lat, lon });
    if (checked.ok) points.push({ line, point: checked.point });
    else errors.push({ line, reason: checked.reason });
  });
  return finish(points, errors);
}
