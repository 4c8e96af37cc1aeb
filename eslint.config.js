// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/**
 * The module dependency rule of ARCHITECTURE.md, as data: which top-level modules each module may
 * import, and only through that module's `index.ts`. Anything else is a lint error, so the layering
 * stays visible in review instead of eroding one convenient import at a time.
 */
export const MODULES = {
  protocol: [],
  'token-engine': [],
  drivers: ['protocol'],
  broker: ['protocol'],
  gateway: ['protocol', 'token-engine'],
  dashboards: [],
  // The simulators serve the drivers' register-map catalogue, so one entry per model drives both.
  simulators: ['protocol', 'token-engine', 'drivers'],
};
const ALL = Object.keys(MODULES);

/**
 * The same rule one level down, inside `gateway/`: the domains and the lower domains each may use.
 * A domain reaches another only through that domain's `index.ts`; a lower domain never imports a
 * higher one. `prepaid` may use `billing` because a prepaid sale is priced by the same tariffs.
 */
export const GATEWAY_DOMAINS = {
  platform: [],
  metering: ['platform'],
  billing: ['platform', 'metering'],
  prepaid: ['platform', 'metering', 'billing'],
  customers: ['platform', 'metering', 'billing', 'prepaid'],
  // The network in the field: locations, map, outages, reading rounds, work orders (issue 26).
  field: ['platform', 'metering', 'billing', 'prepaid', 'customers'],
};
const DOMAINS = Object.keys(GATEWAY_DOMAINS);

/**
 * @param {string} self
 * @param {boolean} isTest test files may reach into an allowed domain's test fixtures
 */
function domainPatterns(self, isTest) {
  const allowed = /** @type {Record<string,string[]>} */ (GATEWAY_DOMAINS)[self] ?? [];
  const patterns = [];
  for (const other of DOMAINS) {
    if (other === self) continue;
    if (allowed.includes(other)) {
      if (isTest) continue;
      patterns.push({
        group: [`**/${other}/**`, `!**/${other}/index.js`, `!**/${other}/index.ts`, '!**/protocol/**'],
        message: `Import gateway/${other}/ only through its public entry gateway/${other}/index.js.`,
      });
    } else {
      patterns.push({
        group: [`**/${other}`, `**/${other}/**`, '!**/simulators/**'],
        message: `gateway/${self}/ may not depend on gateway/${other}/ (allowed: ${allowed.join(', ') || 'nothing internal'}).`,
      });
    }
  }
  return patterns;
}

/**
 * @param {string} self
 * @param {boolean} isTest test files may also use the shared test support in test/
 */
function boundaryPatterns(self, isTest) {
  const allowed = /** @type {Record<string,string[]>} */ (MODULES)[self] ?? [];
  const patterns = [];
  for (const other of ALL.concat(['cli', 'bench', ...(isTest ? [] : ['test'])])) {
    if (other === self) continue;
    if (allowed.includes(other)) {
      patterns.push({
        group: [`**/${other}/**`, `!**/${other}/index.js`, `!**/${other}/index.ts`],
        message: `Import ${other}/ only through its public entry ${other}/index.js.`,
      });
    } else {
      patterns.push({
        group: [`**/${other}`, `**/${other}/**`],
        message: `${self}/ may not depend on ${other}/ (see ARCHITECTURE.md, allowed: ${allowed.join(', ') || 'nothing internal'}).`,
      });
    }
  }
  return patterns;
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'dashboards/dist/**',
      'coverage/**',
      '.data/**',
      'test/lint-fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    // Cycle detection walks our own sources only; parsing bundled dependencies is slow and pointless.
    settings: { 'import-x/ignore': ['node_modules'] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-cycle': ['error', { maxDepth: 8, ignoreExternal: true }],
      'no-console': 'off',
    },
  },
  // Plain Node scripts (build steps) run outside TypeScript: give them Node's globals.
  {
    files: ['**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
  },
  ...ALL.map((mod) => ({
    files: [`${mod}/**/*.ts`, `${mod}/**/*.js`],
    ignores: [`${mod}/**/*.test.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: boundaryPatterns(mod, false) }] },
  })),
  ...ALL.map((mod) => ({
    files: [`${mod}/**/*.test.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: boundaryPatterns(mod, true) }] },
  })),
  // Later entries replace the rule's options for the same file, so a domain's files carry both lists.
  ...DOMAINS.map((dom) => ({
    files: [`gateway/${dom}/**/*.ts`],
    ignores: [`gateway/${dom}/**/*.test.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...boundaryPatterns('gateway', false), ...domainPatterns(dom, false)] },
      ],
    },
  })),
  ...DOMAINS.map((dom) => ({
    files: [`gateway/${dom}/**/*.test.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...boundaryPatterns('gateway', true), ...domainPatterns(dom, true)] },
      ],
    },
  })),
);
