import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardsPlugin } from './index.js';
import { VENDOR_FILES } from './vendor.js';

const app = Fastify();
beforeAll(async () => {
  await app.register(dashboardsPlugin, {});
  await app.ready();
});
afterAll(() => app.close());

describe('dashboardsPlugin', () => {
  it('serves the page with an import map naming only served vendor modules', async () => {
    const res = await app.inject('/ui/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(res.body)![1]!) as {
      imports: Record<string, string>;
    };
    for (const url of Object.values(map.imports)) {
      const name = url.replace('./vendor/', '');
      expect(Object.keys(VENDOR_FILES)).toContain(name);
      const mod = await app.inject(`/ui/vendor/${name}`);
      expect(mod.statusCode).toBe(200);
      expect(mod.headers['content-type']).toMatch(/^text\/javascript/);
    }
  });

  it('serves the app modules as JavaScript and marks every route public', async () => {
    for (const path of ['/ui/app.js', '/ui/lib/i18n.js', '/ui/views/fleet.js', '/ui/styles.css']) {
      const res = await app.inject(path);
      expect(res.statusCode, path).toBe(200);
    }
    expect((await app.inject('/ui/app.js')).headers['content-type']).toMatch(/javascript/);
  });

  it('redirects / to the app and refuses unknown vendor names and path traversal', async () => {
    const root = await app.inject('/');
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/ui/');
    expect((await app.inject('/ui/vendor/evil.js')).statusCode).toBe(400);
    expect((await app.inject('/ui/../plugin.ts')).statusCode).toBe(404);
    expect((await app.inject('/ui/%2e%2e/plugin.ts')).statusCode).toBe(404);
  });

  it('fails at registration when the web root has no index.html', async () => {
    const other = Fastify();
    await expect(other.register(dashboardsPlugin, { root: '/nonexistent' }).ready()).rejects.toThrow(
      /MG_ERR_DASHBOARDS_ROOT|web root/,
    );
    await other.close();
  });
});
