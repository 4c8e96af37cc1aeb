import fs from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { lookupObis } from '../../protocol/index.js';
import { conflictsOf, MAX_ADDRESS } from './define-model.js';
import { ModelFile, type ModelField } from './model-schema.js';
import { registerCount } from './register-types.js';
import type { ByteOrder, MeterModel, ReadFunction, RegisterPoint, RegisterType } from './types.js';

export type ModelResult = { ok: true; model: MeterModel } | { ok: false; errors: string[] };

const FUNCTIONS = '1 (coils), 2 (discrete inputs), 3 (holding registers), 4 (input registers)';
const ENUMS: Record<string, string> = {
  function: FUNCTIONS,
  type: 'bit, int16, uint16, int32, uint32, int64, uint64, float32, float64, string',
  byteOrder: 'ABCD, DCBA, BADC, CDAB',
  phases: '1, 3',
};

/** `/fields/1/address` → `fields[1].address`. */
function keyOf(pointer: string): string {
  const parts = pointer.split('/').filter(Boolean);
  if (!parts.length) return '(root)';
  return parts
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
}

function schemaErrors(doc: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(ModelFile, doc)) {
    const key = keyOf(e.path);
    if (seen.has(key)) continue;
    seen.add(key);
    const leaf = e.path.split('/').at(-1) ?? '';
    const enumText = ENUMS[leaf];
    if (enumText && e.value !== undefined)
      out.push(`${key}: unknown ${leaf} ${JSON.stringify(e.value)} (one of ${enumText})`);
    else if (e.message.includes('additional properties') || e.message.includes('Unexpected property'))
      out.push(`${key}: unknown key`);
    else out.push(`${key}: ${e.message}${e.value !== undefined ? ` (got ${JSON.stringify(e.value)})` : ''}`);
    if (out.length >= 50) break;
  }
  return out;
}

const PHASE_23 = /^1-0:(5[1-3]|4[1-3]|7[1-3]|6[1-3])\.7\.0$/;

/** Resolves one field; pushes `fields[i].key: message` errors and returns the point when valid. */
function resolveField(
  f: ModelField,
  i: number,
  defaults: NonNullable<ModelFile['defaults']>,
  errors: string[],
): RegisterPoint | undefined {
  const at = (k: string, msg: string) => errors.push(`fields[${i}].${k}: ${msg}`);
  const before = errors.length;
  if ((f.obis === undefined) === (f.name === undefined)) at('obis', 'give exactly one of obis or name');
  const fn = (f.function ?? defaults.function) as ReadFunction | undefined;
  if (fn === undefined) at('function', `required here or in defaults.function (${FUNCTIONS})`);
  const bitFn = fn === 1 || fn === 2;
  let type: RegisterType | undefined =
    f.type ?? (bitFn ? 'bit' : f.bit !== undefined ? 'bit' : defaults.type);
  if (bitFn && f.type === undefined) type = 'bit';
  if (type === undefined) at('type', 'required here or in defaults.type');
  if (bitFn && type !== 'bit') at('type', `function ${fn} reads single bits: type must be bit (got ${type})`);
  if (!bitFn && defaults.type !== undefined && f.type === undefined && f.bit !== undefined) type = 'bit';
  if (f.bit !== undefined) {
    if (bitFn) at('bit', 'bit fields are for registers (function 3 or 4); coils are bits already');
    if (type !== 'bit' && type !== 'uint16' && type !== 'int16')
      at('bit', `a bit field lives in one register: type must be bit or uint16 (got ${type})`);
    if (type === 'bit' && (f.bits ?? 1) !== 1)
      at('bits', 'type bit is one bit wide: use uint16 for wider fields');
    if (f.bit + (f.bits ?? 1) > 16) at('bits', `bits ${f.bit}..${f.bit + (f.bits ?? 1) - 1} do not fit 16`);
  } else if (f.bits !== undefined) at('bits', 'bits needs bit (the lowest bit of the field)');
  let width = 1;
  if (type === 'string') {
    if (f.registers === undefined) at('registers', 'a string needs its number of registers');
    else width = f.registers;
    if (f.obis !== undefined) at('type', 'OBIS values are numbers: a string field needs a name');
  } else if (type !== undefined) {
    width = f.bit !== undefined ? 1 : registerCount(type);
    if (f.registers !== undefined && f.registers !== width)
      at('registers', `${type} takes ${width} register${width > 1 ? 's' : ''}, not ${f.registers}`);
  }
  if (f.address + width - 1 > MAX_ADDRESS)
    at('address', `${f.address} + ${width} registers runs past ${MAX_ADDRESS}`);
  const scale = f.scale ?? defaults.scale ?? 1;
  if (!Number.isFinite(scale) || scale === 0) at('scale', 'must be a finite number other than 0');
  if (f.notAvailable && (type === 'float32' || type === 'float64' || type === 'string' || type === 'bit'))
    at('notAvailable', `needs an integer type (got ${type})`);
  if (f.writable && fn !== 1 && fn !== 3)
    at('writable', `only coils (1) and holding registers (3) can be written (function ${fn})`);
  let unit = f.unit ?? '';
  if (f.obis !== undefined) {
    const entry = lookupObis(f.obis);
    if (!entry || !entry.numeric)
      at('obis', `${JSON.stringify(f.obis)} is not a numeric OBIS code of the registry`);
    else {
      if (f.unit !== undefined && f.unit !== entry.unit)
        at(
          'unit',
          `${JSON.stringify(f.unit)} differs from the OBIS unit ${JSON.stringify(entry.unit)} (convert with scale)`,
        );
      unit = entry.unit;
    }
  }
  if (errors.length > before || fn === undefined || type === undefined) return undefined;
  const byteOrder: ByteOrder = f.byteOrder ?? defaults.byteOrder ?? 'ABCD';
  const interval = f.interval ?? defaults.interval;
  const key = (f.obis ?? f.name)!;
  return Object.freeze({
    key,
    ...(f.obis !== undefined ? { obis: f.obis } : { name: f.name! }),
    function: fn,
    address: f.address,
    type,
    registers: width,
    ...(width > 1 || f.byteOrder
      ? { byteOrder, wordOrder: byteOrder === 'CDAB' ? ('little' as const) : ('big' as const) }
      : {}),
    ...(f.bit !== undefined ? { bit: f.bit, bits: f.bits ?? 1 } : {}),
    scale,
    ...(f.offset !== undefined && f.offset !== 0 ? { offset: f.offset } : {}),
    unit,
    ...(interval !== undefined ? { interval } : {}),
    ...(f.writable ? { writable: true } : {}),
    ...(f.notAvailable ? { notAvailable: f.notAvailable } : {}),
  });
}

/**
 * Validates a parsed model document. Every error is one line naming the key, e.g.
 * `fields[1].address: 70000 …`; `file` (when given) prefixes each line.
 */
export function parseModel(doc: unknown, file?: string): ModelResult {
  const prefix = file ? `${file}: ` : '';
  const errors = schemaErrors(doc);
  if (errors.length) return { ok: false, errors: errors.map((e) => prefix + e) };
  const m = doc as ModelFile;
  const defaults = m.defaults ?? {};
  const points: RegisterPoint[] = [];
  const indexOf = new Map<RegisterPoint, number>();
  m.fields.forEach((f, i) => {
    const p = resolveField(f, i, defaults, errors);
    if (p) {
      points.push(p);
      indexOf.set(p, i);
    }
  });
  if (!errors.length) {
    const label = (p: RegisterPoint, what: 'key' | 'address') =>
      `fields[${indexOf.get(p)}].${what === 'address' ? 'address' : p.obis !== undefined ? 'obis' : 'name'}`;
    errors.push(...conflictsOf(points, label));
  }
  if (errors.length) return { ok: false, errors: errors.map((e) => prefix + e) };
  const phases = m.phases ?? (points.some((p) => p.obis !== undefined && PHASE_23.test(p.obis)) ? 3 : 1);
  return {
    ok: true,
    model: Object.freeze({
      model: m.model,
      vendor: m.vendor,
      description: m.description,
      ...(m.source ? { source: m.source } : {}),
      phases,
      defaults: Object.freeze({
        function: (defaults.function ?? 3) as ReadFunction,
        byteOrder: defaults.byteOrder ?? 'ABCD',
        ...(defaults.type ? { type: defaults.type } : {}),
      }),
      points: Object.freeze(points),
      ...(file ? { file } : {}),
    }),
  };
}

/** Reads a YAML (.yaml/.yml) or JSON (.json) model file; errors name the file and the key. */
export function loadModelFile(file: string): ModelResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${file}: cannot read (${(err as Error).message})`] };
  }
  let doc: unknown;
  try {
    doc = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const kind = path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML';
    return { ok: false, errors: [`${file}: not valid ${kind} (${(err as Error).message.split('\n')[0]})`] };
  }
  return parseModel(doc, file);
}

export const MODEL_FILE_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** The model files of a directory, sorted by name (the schema file itself is not a model). */
export function modelFilesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter(
      (f) => MODEL_FILE_EXTENSIONS.includes(path.extname(f).toLowerCase()) && !f.endsWith('.schema.json'),
    )
    .sort()
    .map((f) => path.join(dir, f));
}
