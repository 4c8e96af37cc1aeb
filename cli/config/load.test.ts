import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfig } from './index.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mg-config-'));
  dirs.push(dir);
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

describe('config', () => {
  it('applies defaults', () => {
    const c = resolveConfig({}, 'x', {});
    expect(c.http.port).toBe(8080);
    expect(c.mqtt.prefix).toBe('metergate/v1');
    expect(c.database.url).toBeUndefined();
  });

  it('loads YAML and JSON files', async () => {
    const y = await loadConfig(
      await file('a.yaml', 'http:\n  port: 9000\nmqtt:\n  url: mqtt://localhost:1883\n'),
      {},
    );
    expect(y.http.port).toBe(9000);
    expect(y.mqtt.url).toBe('mqtt://localhost:1883');
    const j = await loadConfig(await file('a.json', '{"influx":{"url":"http://127.0.0.1:8086"}}'), {});
    expect(j.influx.url).toBe('http://127.0.0.1:8086');
  });

  it('lets the environment override the file', async () => {
    const c = await loadConfig(await file('a.yaml', 'http:\n  port: 9000\n'), {
      METERGATE_HTTP_PORT: '9100',
      DATABASE_URL: 'postgres://localhost/metergate',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(c.http.port).toBe(9100);
    expect(c.database.url).toBe('postgres://localhost/metergate');
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('names the bad key and the expected type', async () => {
    const p = await file('bad.yaml', 'http:\n  port: eighty\nmqtt:\n  url: ftp://x\nbogus: 1\n');
    const err = await loadConfig(p, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain(p);
    expect(msg).toMatch(/http\.port: .*expected integer.*"eighty"/);
    expect(msg).toMatch(/mqtt\.url/);
    expect(msg).toMatch(/bogus/);
    expect(() => resolveConfig({}, 'env', { METERGATE_HTTP_PORT: 'abc' })).toThrow(
      /METERGATE_HTTP_PORT.*integer/,
    );
  });

  it('reads the prepaid reversal window from the file or METERGATE_REVERSAL_WINDOW_MINUTES', async () => {
    expect(resolveConfig({}, 'x', {}).prepaid.reversalWindowMinutes).toBe(60);
    const p = await file('p.yaml', 'prepaid:\n  reversalWindowMinutes: 15\n');
    expect((await loadConfig(p, {})).prepaid.reversalWindowMinutes).toBe(15);
    expect(
      (await loadConfig(p, { METERGATE_REVERSAL_WINDOW_MINUTES: '30' })).prepaid.reversalWindowMinutes,
    ).toBe(30);
    expect(() => resolveConfig({ prepaid: { reversalWindowMinutes: 0 } }, 'x', {})).toThrow(
      /prepaid\.reversalWindowMinutes/,
    );
    expect(() => resolveConfig({ prepaid: { reversalWindowMinutes: 20_000 } }, 'x', {})).toThrow(
      /prepaid\.reversalWindowMinutes/,
    );
    expect(() => resolveConfig({}, 'env', { METERGATE_REVERSAL_WINDOW_MINUTES: 'an hour' })).toThrow(
      /METERGATE_REVERSAL_WINDOW_MINUTES.*integer/,
    );
  });

  it('takes a map tile server from the file or METERGATE_MAP_TILE_URL, and refuses one without {z}/{x}/{y}', () => {
    expect(resolveConfig({}, 'x', {}).map).toEqual({});
    const tiles = 'https://tiles.example.ma/{z}/{x}/{y}.png';
    expect(resolveConfig({ map: { tileUrl: tiles } }, 'x', {}).map.tileUrl).toBe(tiles);
    expect(resolveConfig({}, 'env', { METERGATE_MAP_TILE_URL: tiles }).map.tileUrl).toBe(tiles);
    expect(() => resolveConfig({ map: { tileUrl: 'https://tiles.example.ma/tile.png' } }, 'x', {})).toThrow(
      /map\.tileUrl/,
    );
    expect(() => resolveConfig({ map: { tileUrl: 'file:///etc/{z}/{x}/{y}' } }, 'x', {})).toThrow(
      /map\.tileUrl/,
    );
  });

  it('reports unreadable and unparsable files', async () => {
    await expect(loadConfig('/nonexistent/metergate.yaml', {})).rejects.toThrow(/cannot read file: ENOENT/);
    await expect(loadConfig(await file('x.yaml', 'a: [1, 2\n'), {})).rejects.toThrow(/not valid YAML/);
    await expect(loadConfig(await file('x.json', '{"a":'), {})).rejects.toThrow(/not valid JSON/);
    await expect(loadConfig(await file('x.yaml', '- 1\n- 2\n'), {})).rejects.toThrow(/expected a mapping/);
  });
});
