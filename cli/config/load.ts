import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ENV_OVERRIDES, MetergateConfig } from './schema.js';

export class ConfigError extends Error {
  readonly code = 'MG_ERR_CONFIG_INVALID';
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`${source}: invalid configuration\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function keyOf(path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
}

function applyEnv(doc: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): void {
  for (const o of ENV_OVERRIDES) {
    const raw = env[o.env];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (o.type === 'integer') {
      if (!/^-?\d+$/.test(raw)) {
        problems.push(`env ${o.env} (${o.path.join('.')}): expected an integer, got ${JSON.stringify(raw)}`);
        continue;
      }
      value = Number(raw);
    } else if (o.type === 'boolean') {
      if (!/^(true|false|1|0)$/.test(raw)) {
        problems.push(
          `env ${o.env} (${o.path.join('.')}): expected true or false, got ${JSON.stringify(raw)}`,
        );
        continue;
      }
      value = raw === 'true' || raw === '1';
    }
    let node = doc;
    for (const key of o.path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null) node[key] = {};
      else if (typeof next !== 'object') break;
      node = node[key] as Record<string, unknown>;
    }
    node[o.path[o.path.length - 1]!] = value;
  }
}

/** Validate a parsed document (+ environment) against the schema; throws ConfigError naming every bad key. */
export function resolveConfig(
  doc: unknown,
  source = 'config',
  env: NodeJS.ProcessEnv = process.env,
): MetergateConfig {
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(source, [`(root): expected a mapping of sections, got ${describe(doc)}`]);
  }
  const problems: string[] = [];
  const copy = structuredClone(doc) as Record<string, unknown>;
  applyEnv(copy, env, problems);
  const withDefaults = Value.Default(MetergateConfig, copy);
  for (const e of Value.Errors(MetergateConfig, withDefaults)) {
    const expected = e.schema.type ? `expected ${String(e.schema.type)}` : 'invalid';
    problems.push(`${keyOf(e.path)}: ${e.message} (${expected}, got ${describe(e.value)})`);
    if (problems.length >= 20) break;
  }
  if (problems.length) throw new ConfigError(source, problems);
  return withDefaults as MetergateConfig;
}

/** Load a YAML or JSON config file (by extension; YAML is a superset so unknown extensions parse as YAML). */
export async function loadConfig(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MetergateConfig> {
  if (!file) return resolveConfig({}, 'defaults', env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  let doc: unknown;
  try {
    doc = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(file, [
      `not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    ]);
  }
  return resolveConfig(doc, file, env);
}
