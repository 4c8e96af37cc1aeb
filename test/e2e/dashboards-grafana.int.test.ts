import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAFANA_DIR } from '../../dashboards/index.js';
import { InfluxReadingStore } from '../../gateway/metering/readings/index.js';
import { SERVICES, requireInflux } from '../support/services.js';

/**
 * The Grafana provisioning is checked against the real InfluxDB 1.x server and the real reading
 * store: readings are written by InfluxReadingStore (the code the gateway runs), the names it
 * wrote are read back with SHOW MEASUREMENTS / FIELD KEYS / TAG KEYS, every dashboard query may
 * only name those (or its own aliases), and every query runs on the server without error.
 */

interface Target {
  refId: string;
  query: string;
  rawQuery: boolean;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  title: string;
  type: string;
  targets: Target[];
  datasource: { uid: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: string; datasource: { uid: string } }> };
}

const dashboardsDir = join(GRAFANA_DIR, 'dashboards');
const dashboards = readdirSync(dashboardsDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) as Dashboard }));
const datasources = parseYaml(
  readFileSync(join(GRAFANA_DIR, 'provisioning/datasources/influxdb.yaml'), 'utf8'),
) as { datasources: Array<{ uid: string; type: string; jsonData: { version: string } }> };

const METER = 'grafana-m1';
let store: InfluxReadingStore;
let written: { measurements: string[]; fields: string[]; tags: string[] };

/** Grafana's macros, as Grafana would expand them for a 6-hour range. */
function expand(q: string): string {
  return q
    .replaceAll('$timeFilter', 'time > now() - 6h')
    .replaceAll('$__interval', '1m')
    .replaceAll('$meter', METER);
}

/** Double-quoted identifiers of a query; regexes and string literals removed first. */
function namedIdentifiers(q: string): string[] {
  const stripped = q.replace(/'(?:[^'\\]|\\.)*'/g, "''").replace(/=~\s*\/(?:[^/\\]|\\.)*\//g, '=~ //');
  return [...stripped.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

beforeAll(async () => {
  await requireInflux();
  store = new InfluxReadingStore({
    url: SERVICES.influx,
    database: `mg_grafana_${randomBytes(4).toString('hex')}`,
  });
  await store.start();
  const now = Date.now();
  const readings = [];
  for (let i = 0; i < 30; i++) {
    for (const meterId of [METER, 'grafana-m2']) {
      readings.push({
        meterId,
        ts: new Date(now - (30 - i) * 60_000),
        seq: i,
        values: {
          '1-0:1.8.0': 1000 + i * 0.05,
          '1-0:1.7.0': 1.2 + (i % 5) / 10,
          '1-0:32.7.0': 229 + (i % 3),
        },
        quality: i % 10 === 0 ? 'estimated' : 'good',
        source: 'simulator',
        historical: i % 7 === 0,
      });
    }
  }
  await store.write(readings);
  const col = async (q: string) =>
    ((await store.query(q))[0]?.series ?? []).flatMap((s) => s.values.map((v) => String(v[0])));
  written = {
    measurements: await col('SHOW MEASUREMENTS'),
    fields: await col('SHOW FIELD KEYS FROM "reading"'),
    tags: await col('SHOW TAG KEYS FROM "reading"'),
  };
}, 60_000);

afterAll(async () => {
  await store?.drop();
});

describe('Grafana provisioning', () => {
  it('provisions one InfluxDB data source speaking InfluxQL, used by every panel and variable', () => {
    expect(datasources.datasources).toHaveLength(1);
    const ds = datasources.datasources[0]!;
    expect(ds.type).toBe('influxdb');
    expect(ds.jsonData.version).toBe('InfluxQL');
    expect(dashboards.map((d) => d.file).sort()).toEqual([
      'fleet-load.json',
      'ingest-health.json',
      'meter-consumption.json',
    ]);
    const uids = new Set<string>();
    for (const { json } of dashboards) {
      expect(json.uid).toMatch(/^metergate-/);
      expect(uids.has(json.uid)).toBe(false);
      uids.add(json.uid);
      expect(json.panels.length).toBeGreaterThan(0);
      for (const p of json.panels) {
        expect(p.datasource.uid, p.title).toBe(ds.uid);
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets) {
          expect(t.rawQuery).toBe(true);
          expect(t.datasource.uid).toBe(ds.uid);
        }
      }
      for (const v of json.templating.list) expect(v.datasource.uid).toBe(ds.uid);
    }
  });

  it('the reading store wrote the names the dashboards use', () => {
    expect(written.measurements).toEqual(['reading']);
    expect(written.tags).toEqual(['meter']);
    for (const f of ['1-0:1.8.0', '1-0:1.7.0', '1-0:32.7.0', 'seq', 'quality', 'historical']) {
      expect(written.fields).toContain(f);
    }
  });

  const queries = dashboards.flatMap(({ file, json }) => [
    ...json.panels.flatMap((p) => p.targets.map((t) => ({ where: `${file} / ${p.title}`, query: t.query }))),
    ...json.templating.list.map((v) => ({ where: `${file} / $${v.name}`, query: v.query })),
  ]);

  it.each(queries)('$where names only written measurements, tags and fields', ({ query }) => {
    const known = new Set([...written.measurements, ...written.fields, ...written.tags]);
    const aliases = new Set([...query.matchAll(/\bAS\s+"([^"]+)"/gi)].map((m) => m[1]!));
    const unknown = namedIdentifiers(query).filter((n) => !known.has(n) && !aliases.has(n));
    expect(unknown).toEqual([]);
  });

  it.each(queries)('$where runs on InfluxDB and returns data', async ({ query }) => {
    const [result] = await store.query(expand(query));
    expect(result?.series?.length ?? 0).toBeGreaterThan(0);
  });
});
