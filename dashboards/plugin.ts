import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { DashboardsError } from './errors.js';
import { VENDOR_FILES, loadVendorAssets } from './vendor.js';

export const DEFAULT_WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'web');

export interface DashboardsPluginOptions {
  /** Folder with index.html and the browser modules; defaults to dashboards/web. */
  root?: string;
  /** URL prefix of the single-page app; default '/ui/'. */
  prefix?: string;
  /** Redirect `GET /` to the app (default true); turn off when something else owns `/`. */
  redirectRoot?: boolean;
}

/**
 * Serves the dashboards: the page, its ES modules and the vendor modules, all public (the data they
 * show comes from the API, which checks the API key each request carries). No build step: the browser
 * code is plain JavaScript modules with JSDoc types.
 */
const dashboards: FastifyPluginAsync<DashboardsPluginOptions> = async (app, options) => {
  const root = resolve(options.root ?? DEFAULT_WEB_ROOT);
  const prefix = normalisePrefix(options.prefix ?? '/ui/');
  if (!existsSync(join(root, 'index.html'))) throw new DashboardsError('MG_ERR_DASHBOARDS_ROOT', root);
  const vendor = loadVendorAssets();

  // Registered in its own encapsulated context so `decorateReply: false` never clashes with another
  // @fastify/static registration (swagger-ui uses one).
  await app.register(async (scope) => {
    // Every route of this scope is public: the page and its modules hold no data. The gateway's
    // deny-by-default auth reads `config.public`.
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), public: true } as typeof route.config;
    });
    await scope.register(fastifyStatic, {
      root,
      prefix,
      decorateReply: false,
      index: ['index.html'],
      cacheControl: true,
      maxAge: 0,
      allowedPath: (path) => !path.includes('..'),
    });

    scope.get(
      `${prefix}vendor/:name`,
      {
        config: { public: true },
        schema: {
          hide: true,
          params: Type.Object({ name: Type.Union(Object.keys(VENDOR_FILES).map((n) => Type.Literal(n))) }),
        },
      },
      async (request, reply) => {
        const { name } = request.params as { name: string };
        const asset = vendor.get(name)!;
        return reply
          .type(`${asset.type}; charset=utf-8`)
          .header('cache-control', 'public, max-age=86400')
          .send(asset.body);
      },
    );
  });

  if (options.redirectRoot ?? true) {
    // A redirect to the UI, not an API operation: kept out of the OpenAPI document.
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply.redirect(prefix),
    );
  }
};

function normalisePrefix(prefix: string): string {
  let p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  if (!p.endsWith('/')) p += '/';
  return p;
}

export const dashboardsPlugin = fp(dashboards, { name: 'metergate-dashboards', fastify: '5.x' });
