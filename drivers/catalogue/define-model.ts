import { lookupObis } from '../../protocol/index.js';
import { CatalogueError } from './errors.js';
import type { PointSpec } from './points.js';
import { registerCount, REGISTER_TYPES } from './register-types.js';
import type { ByteOrder, MeterModel, ModelDefaults, RegisterPoint, WordOrder } from './types.js';

/** Highest Modbus PDU address (Modbus application protocol §4.4: addresses 0..65535). */
export const MAX_ADDRESS = 0xffff;

export interface ModelDefinition {
  readonly model: string;
  readonly vendor: string;
  readonly description: string;
  readonly phases: 1 | 3;
  readonly defaults: ModelDefaults;
  /** Point specs from the factories in points.ts; arrays are flattened. */
  readonly extend: ReadonlyArray<PointSpec | readonly PointSpec[]>;
}

function resolvePoint(model: string, defaults: ModelDefaults, spec: PointSpec): RegisterPoint {
  const where = `${model} ${spec.obis}`;
  const type = spec.type ?? defaults.type;
  if (!type || !REGISTER_TYPES.includes(type) || type === 'string')
    throw new CatalogueError('MG_ERR_CATALOGUE_POINT', `${where}: no or unknown type`);
  const fn = spec.function ?? defaults.function;
  if (fn !== 3 && fn !== 4)
    throw new CatalogueError('MG_ERR_CATALOGUE_POINT', `${where}: function must be 3 or 4`);
  const entry = lookupObis(spec.obis);
  if (!entry || !entry.numeric) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_POINT',
      `${where}: not a numeric OBIS code of the protocol registry`,
    );
  }
  const unit = spec.unit ?? entry.unit;
  if (unit !== entry.unit) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_POINT',
      `${where}: unit ${JSON.stringify(unit)} differs from the OBIS unit ${JSON.stringify(entry.unit)} (convert with scale)`,
    );
  }
  const scale = spec.scale ?? 1;
  if (!Number.isFinite(scale) || scale === 0)
    throw new CatalogueError('MG_ERR_CATALOGUE_POINT', `${where}: scale must be finite and non-zero`);
  const width = registerCount(type);
  if (!Number.isInteger(spec.address) || spec.address < 0 || spec.address + width - 1 > MAX_ADDRESS) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_POINT',
      `${where}: address ${spec.address} out of 0..${MAX_ADDRESS}`,
    );
  }
  if (spec.notAvailable === 'max' && (type === 'float32' || type === 'float64')) {
    throw new CatalogueError('MG_ERR_CATALOGUE_POINT', `${where}: notAvailable 'max' needs an integer type`);
  }
  const byteOrder =
    spec.byteOrder ??
    (spec.wordOrder ? byteOrderOf(spec.wordOrder) : undefined) ??
    defaults.byteOrder ??
    byteOrderOf(defaults.wordOrder ?? 'big');
  const point: RegisterPoint = {
    key: spec.obis,
    obis: spec.obis,
    function: fn,
    address: spec.address,
    type,
    registers: width,
    ...(width > 1 ? { byteOrder, wordOrder: byteOrder === 'CDAB' ? 'little' : 'big' } : {}),
    scale,
    unit,
    ...(spec.notAvailable ? { notAvailable: spec.notAvailable } : {}),
  };
  return Object.freeze(point);
}

export function byteOrderOf(order: WordOrder): ByteOrder {
  return order === 'little' ? 'CDAB' : 'ABCD';
}

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

/**
 * Conflicts of a register map, one message per conflict: a key mapped twice, or two points sharing a
 * register under the same function (bit fields of one register may share it if their bits do not).
 */
export function conflictsOf(
  points: readonly RegisterPoint[],
  label: (p: RegisterPoint, what: 'key' | 'address') => string = (p) => p.key,
): string[] {
  const out: string[] = [];
  const seen = new Map<string, RegisterPoint>();
  for (const p of points) {
    const prev = seen.get(p.key);
    if (prev)
      out.push(
        `${label(p, 'key')}: ${p.key} mapped twice (fc${prev.function} ${hex(prev.address)} and fc${p.function} ${hex(p.address)})`,
      );
    else seen.set(p.key, p);
  }
  const sorted = [...points].sort((a, b) => a.function - b.function || a.address - b.address);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!;
      if (b.function !== a.function || b.address >= a.address + a.registers) break;
      if (a.bit !== undefined && b.bit !== undefined && a.address === b.address) {
        const aEnd = a.bit + (a.bits ?? 1);
        const bEnd = b.bit + (b.bits ?? 1);
        if (b.bit >= aEnd || a.bit >= bEnd) continue;
      }
      out.push(
        `${label(b, 'address')}: ${b.key} (fc${b.function} ${hex(b.address)}) overlaps ${a.key} (fc${a.function} ${hex(a.address)}, ${a.type}${a.registers > 1 ? ` × ${a.registers} registers` : ''})`,
      );
    }
  }
  return out;
}

/** Throws on a duplicate key or two points sharing a register (same function). */
export function checkConflicts(model: string, points: readonly RegisterPoint[]): void {
  const errors = conflictsOf(points, () => model);
  if (errors.length) throw new CatalogueError('MG_ERR_CATALOGUE_CONFLICT', errors[0]!);
}

/** Resolve defaults, validate every point and check for conflicts; throws at load time. */
export function defineModel(def: ModelDefinition): MeterModel {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(def.model)) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_POINT',
      `model name ${JSON.stringify(def.model)} must be lower-case kebab`,
    );
  }
  const points = def.extend.flat().map((spec) => resolvePoint(def.model, def.defaults, spec));
  if (points.length === 0) throw new CatalogueError('MG_ERR_CATALOGUE_POINT', `${def.model}: no points`);
  checkConflicts(def.model, points);
  return Object.freeze({
    model: def.model,
    vendor: def.vendor,
    description: def.description,
    phases: def.phases,
    defaults: Object.freeze({ ...def.defaults }),
    points: Object.freeze(points),
  });
}
