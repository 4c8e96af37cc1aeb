import { readFileSync } from 'node:fs';

/**
 * The package version. The sources sit one level below package.json (cli/version.ts), the build two
 * (dist/cli/version.js, next to dist/package.json which only marks dist/ as ESM).
 */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'metergate' && pkg.version) return pkg.version;
    } catch {
      // not this level: try the next one
    }
  }
  throw new Error('metergate: package.json not found next to the sources or the build');
}

export const VERSION: string = readVersion();
