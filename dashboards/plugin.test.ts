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
  it('serves a page without inline script, whose modules import only served vendor modules', async () => {
    const res = await app.inject('/ui/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    // A Content-Security-Policy without 'unsafe-inline' allows only <script src=…>.
    for (const m of res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(m[1]).toMatch(/\bsrc=/);
      expect(m[2]!.trim()).toBe('');
    }
    expect(res.body).not.toMatch(/\son[a-z]+=/i);
    const vendorUrls = new Set<string>();
    for (const file of ['app.js', 'lib/html.js', 'lib/chart.js', 'views/meter.js']) {
      const src = (await app.inject(`/ui/${file}`)).body;
      expect(src, file).not.toMatch(/from '(preact|htm|uplot)/);
      for (const m of src.matchAll(/from '(?:\.\.?\/)+vendor\/([a-z-]+\.js)'/g)) vendorUrls.add(m[1]!);
    }
    expect([...vendorUrls].sort()).toEqual(['htm.js', 'preact-hooks.js', 'preact.js', 'uplot.js']);
    for (const name of vendorUrls) {
      expect(Object.keys(VENDOR_FILES)).toContain(name);
      const mod = await app.inject(`/ui/vendor/${name}`);
      expect(mod.statusCode).toBe(200);
      expect(mod.headers['content-type']).toMatch(/^text\/javascript/);
      // No bare specifier is left for the browser to resolve (there is no import map).
      expect(mod.body, name).not.toMatch(/from\s*["'][a-z]/);
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
