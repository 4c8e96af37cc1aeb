// `npm run build`, second step: tsc emits only JavaScript, so the files the compiled code reads at
// run time next to itself are copied into dist/ at the same relative paths: the dashboards' browser
// code and Grafana provisioning, the register-map catalogue's model files (YAML/JSON) and schema,
// and any other data file of a module. Tests, fixtures and test peers stay out.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODULES = [
  'protocol',
  'token-engine',
  'drivers',
  'broker',
  'gateway',
  'dashboards',
  'simulators',
  'cli',
  'bench',
];
const DATA = /\.(ya?ml|json|html|css|js|svg|png|ico|woff2?)$/;
const SKIP_DIRS = new Set([
  'node_modules',
  'dist',
  'fixtures',
  'test-fixtures',
  'test-peers',
  'testing',
  'recordings',
]);

let copied = 0;
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(path);
    } else if (entry.isFile() && DATA.test(entry.name) && !entry.name.includes('.test.')) {
      const target = join(root, 'dist', relative(root, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
      copied++;
    }
  }
}
for (const m of MODULES) walk(join(root, m));
// dist/ is ESM like the sources; the marker lets `node dist/cli/main.js` run outside the package too.
writeFileSync(join(root, 'dist', 'package.json'), '{ "type": "module" }\n');
console.log(`copied ${copied} data files into dist/`);
