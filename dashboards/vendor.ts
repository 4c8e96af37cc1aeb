import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DashboardsError } from './errors.js';

/**
 * The browser's third-party modules, served straight from node_modules as ES modules so `npm ci`
 * is the only step a user runs (no bundler). The browser code imports them by relative URL (no import
 * map: an inline script would need a CSP exception), so a bare `preact` import inside a vendor
 * module is rewritten to its served URL here.
 * Total ≈ 70 kB before compression: preact + hooks (≈ 15 kB), htm (≈ 2 kB), uPlot (≈ 50 kB).
 */
export const VENDOR_FILES: Record<string, { pkg: string; file: string; type: string }> = {
  'preact.js': { pkg: 'preact', file: 'dist/preact.module.js', type: 'text/javascript' },
  'preact-hooks.js': { pkg: 'preact', file: 'hooks/dist/hooks.module.js', type: 'text/javascript' },
  'htm.js': { pkg: 'htm', file: 'dist/htm.module.js', type: 'text/javascript' },
  'uplot.js': { pkg: 'uplot', file: 'dist/uPlot.esm.js', type: 'text/javascript' },
  'uplot.css': { pkg: 'uplot', file: 'dist/uPlot.min.css', type: 'text/css' },
  // The map page only (imported on demand by views/map.js): Leaflet's ES build (≈ 450 kB, ≈ 140 kB
  // gzipped), supercluster's and topojson-client's UMD builds (they set globalThis.Supercluster /
  // globalThis.topojson; supercluster's bundles its kdbush, so no bare import to rewrite).
  'leaflet.js': { pkg: 'leaflet', file: 'dist/leaflet-src.esm.js', type: 'text/javascript' },
  'leaflet.css': { pkg: 'leaflet', file: 'dist/leaflet.css', type: 'text/css' },
  'supercluster.js': { pkg: 'supercluster', file: 'dist/supercluster.min.js', type: 'text/javascript' },
  'topojson-client.js': {
    pkg: 'topojson-client',
    file: 'dist/topojson-client.min.js',
    type: 'text/javascript',
  },
};

export interface VendorAsset {
  body: Buffer;
  type: string;
}

/** The package's folder: walk up from its entry point (some packages do not export package.json). */
function packageDir(require: NodeRequire, pkg: string): string {
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new DashboardsError('MG_ERR_DASHBOARDS_VENDOR', pkg);
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === pkg
    ) {
      return dir;
    }
  }
  throw new DashboardsError('MG_ERR_DASHBOARDS_VENDOR', pkg);
}

/** Reads every vendor file once at start-up; a missing package fails here, not on the first page view. */
export function loadVendorAssets(): Map<string, VendorAsset> {
  const require = createRequire(import.meta.url);
  const assets = new Map<string, VendorAsset>();
  for (const [name, { pkg, file, type }] of Object.entries(VENDOR_FILES)) {
    const dir = packageDir(require, pkg);
    try {
      let body = readFileSync(join(dir, file));
      if (name === 'preact-hooks.js') body = Buffer.from(rewriteBareImports(body.toString('utf8')));
      assets.set(name, { body, type });
    } catch {
      throw new DashboardsError('MG_ERR_DASHBOARDS_VENDOR', `${pkg}/${file}`);
    }
  }
  return assets;
}

/** `from"preact"` / `from 'preact'` → the served module's relative URL (same folder). */
export function rewriteBareImports(source: string): string {
  return source.replace(/from\s*(["'])preact\1/g, 'from$1./preact.js$1');
}
