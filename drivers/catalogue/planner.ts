import { decodePoint } from './codec.js';
import { CatalogueError } from './errors.js';
import { pointWidth } from './register-types.js';
import type {
  AddressBlock,
  MeterModel,
  PlannedRead,
  ReadFunction,
  RegisterPlan,
  RegisterPoint,
} from './types.js';

/** Modbus application protocol §6.3/§6.4: a read asks for 1..125 (0x7D) registers. */
export const MAX_READ_REGISTERS = 125;
/** §6.1/§6.2: a coil or discrete-input read asks for 1..2000 (0x7D0) bits. */
export const MAX_READ_BITS = 2000;

const isBitFunction = (fn: ReadFunction) => fn === 1 || fn === 2;

/**
 * Default largest run of unmapped registers a read may span. Reading through a gap is cheaper than
 * a second request (one round trip, ~12 bytes of framing), and the simulator answers any address
 * inside its blocks (see `addressBlocks`, which merge across gaps of up to BLOCK_GAP ≥ this).
 */
export const DEFAULT_MAX_GAP = 32;

/** Gaps up to this many registers inside a model's register map are still one served block. */
export const BLOCK_GAP = 64;

export interface PlanOptions {
  /** Registers per read, 1..125 (default 125). */
  readonly maxRegisters?: number;
  /** Unmapped registers a read may include between two points (default 32). */
  readonly maxGap?: number;
}

const end = (p: RegisterPoint) => p.address + pointWidth(p);

function sortPoints(points: readonly RegisterPoint[]): RegisterPoint[] {
  return [...points].sort((a, b) => a.function - b.function || a.address - b.address);
}

/**
 * Merge points into as few reads as possible. Greedy over points sorted by (function, address):
 * each read starts at the first point not yet covered and takes following points while the read
 * stays within maxRegisters and no gap exceeds maxGap. For points on a line this greedy choice is
 * optimal (any plan must start a read at or before the first uncovered point; starting exactly there
 * covers the most), so the read count is minimal under the two limits.
 */
export function planReads(
  source: MeterModel | readonly RegisterPoint[],
  options: PlanOptions = {},
): RegisterPlan {
  const maxRegisters = options.maxRegisters ?? MAX_READ_REGISTERS;
  const maxGap = options.maxGap ?? DEFAULT_MAX_GAP;
  if (!Number.isInteger(maxRegisters) || maxRegisters < 1 || maxRegisters > MAX_READ_REGISTERS) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_PLAN',
      `maxRegisters must be an integer 1..${MAX_READ_REGISTERS}`,
    );
  }
  if (!Number.isInteger(maxGap) || maxGap < 0)
    throw new CatalogueError('MG_ERR_CATALOGUE_PLAN', 'maxGap must be an integer ≥ 0');
  const points = sortPoints('points' in source ? source.points : source);
  const reads: PlannedRead[] = [];
  let cur: { function: ReadFunction; address: number; end: number; points: RegisterPoint[] } | undefined;
  for (const p of points) {
    // Coils and discrete inputs are counted in bits (up to 2000 per read), registers up to maxRegisters.
    const limit = isBitFunction(p.function) ? MAX_READ_BITS : maxRegisters;
    if (pointWidth(p) > limit) {
      throw new CatalogueError('MG_ERR_CATALOGUE_PLAN', `${p.key} needs more than maxRegisters=${limit}`);
    }
    // Bit fields share their register: a point may start inside the current read.
    const fits =
      cur !== undefined &&
      cur.function === p.function &&
      p.address >= cur.address &&
      p.address - cur.end <= maxGap &&
      Math.max(cur.end, end(p)) - cur.address <= limit;
    if (cur && fits) {
      cur.points.push(p);
      cur.end = Math.max(cur.end, end(p));
      continue;
    }
    if (cur) reads.push(freeze(cur));
    cur = { function: p.function, address: p.address, end: end(p), points: [p] };
  }
  if (cur) reads.push(freeze(cur));
  return Object.freeze(reads);
}

function freeze(c: {
  function: ReadFunction;
  address: number;
  end: number;
  points: RegisterPoint[];
}): PlannedRead {
  return Object.freeze({
    function: c.function,
    address: c.address,
    count: c.end - c.address,
    points: Object.freeze(c.points),
  });
}

/**
 * Values of a plan's responses, keyed by OBIS code. `responses[i]` holds the registers read for
 * `plan[i]` (undefined when that read failed); points that are not covered or decode to "not
 * available" are left out rather than guessed.
 */
export function extractValues(
  plan: RegisterPlan,
  responses: ReadonlyArray<readonly number[] | undefined | null>,
): Record<string, number> {
  if (responses.length !== plan.length) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_PLAN',
      `${responses.length} responses for a plan of ${plan.length} reads`,
    );
  }
  const out: Record<string, number> = {};
  plan.forEach((read, i) => {
    const regs = responses[i];
    if (!regs) return;
    for (const p of read.points) {
      const offset = p.address - read.address;
      const v = decodePoint(p, regs.slice(offset, offset + pointWidth(p)));
      if (v !== null) out[p.key] = v;
    }
  });
  return out;
}

/**
 * The address ranges a meter of this model answers: its points merged across gaps of at most
 * BLOCK_GAP registers. A read outside every block gets exception 2 (illegal data address).
 */
export function addressBlocks(model: MeterModel): AddressBlock[] {
  const blocks: { function: ReadFunction; address: number; end: number }[] = [];
  for (const p of sortPoints(model.points)) {
    const last = blocks.at(-1);
    if (last && last.function === p.function && p.address - last.end <= BLOCK_GAP) {
      last.end = Math.max(last.end, end(p));
    } else {
      blocks.push({ function: p.function, address: p.address, end: end(p) });
    }
  }
  return blocks.map((b) => ({ function: b.function, address: b.address, count: b.end - b.address }));
}
