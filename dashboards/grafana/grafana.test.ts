import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GRAFANA_DIR } from './index.js';

/**
 * Shape of the provisioning files (the integration test runs every query on InfluxDB against what
 * the reading store writes). Grafana reads data source and dashboard-provider YAML with apiVersion 1
 * and dashboard JSON models with uid, title and panels.
 */
const dashboards = readdirSync(join(GRAFANA_DIR, 'dashboards')).filter((f) => f.endsWith('.json'));

describe('Grafana provisioning files', () => {
  it('data source and dashboard provider YAML are apiVersion 1 and point at each other', () => {
    const ds = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/datasources/influxdb.yaml'), 'utf8'));
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources[0]).toMatchObject({
      type: 'influxdb',
      uid: 'metergate-influxdb',
      jsonData: { version: 'InfluxQL' },
    });
    // Credentials come from the environment, never from the file.
    expect(ds.datasources[0].secureJsonData.password).toBe('${INFLUX_PASSWORD}');
    const prov = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/dashboards/metergate.yaml'), 'utf8'));
    expect(prov.apiVersion).toBe(1);
    expect(prov.providers[0]).toMatchObject({
      type: 'file',
      options: { path: '/var/lib/grafana/dashboards/metergate' },
    });
  });

  it.each(dashboards)('%s is a dashboard model with unique panel ids and raw InfluxQL targets', (file) => {
    const d = JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', file), 'utf8'));
    expect(d.uid).toMatch(/^metergate-[a-z-]+$/);
    expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(typeof d.title).toBe('string');
    const ids = d.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(p.gridPos.w).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (const t of p.targets) {
        expect(t.rawQuery).toBe(true);
        expect(t.query).toMatch(/^(SELECT|SHOW) /);
        expect(t.datasource.uid).toBe('metergate-influxdb');
      }
    }
  });
});
