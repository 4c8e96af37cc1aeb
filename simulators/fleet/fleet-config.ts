import { modelNames } from '../../drivers/index.js';
import { ANOMALY_KINDS, type Anomaly } from '../model/anomalies.js';
import { FAULT_KINDS, type FaultSpec } from '../model/faults.js';
import { PROFILE_KINDS, type ProfileKind } from '../model/load-profile.js';

/**
 * The fleet file (`metergate simulate --config fleet.yaml`): groups of meters, each with a model, a
 * transport, a load profile, anomalies and faults. `parseFleetConfig` checks untrusted input and
 * returns every problem with its path (`meters[2].rtu.baud: …`) instead of throwing on the first.
 */
export interface TcpEndpoint {
  readonly host: string;
  readonly port: number;
  /**
   * "Many ports": meter i of the group listens alone on port + i (every one with port 0 picks its
   * own free port) under the group's unit id, instead of all sharing one port as a concentrator.
   */
  readonly portPerMeter?: boolean;
}
export interface RtuEndpoint {
  readonly path: string;
  readonly baud: number;
  readonly parity: 'none' | 'even' | 'odd';
}
export interface IecEndpoint {
  readonly path: string;
  /** Highest baud offered after the 300-baud handshake (IEC 62056-21 baud codes 0..6). */
  readonly baud: number;
}

export interface MeterGroup {
  readonly model: string;
  readonly count: number;
  readonly idPrefix: string;
  readonly profile: ProfileKind;
  readonly annualKwh?: number;
  readonly initialKwh?: number;
  /** First Modbus unit id; the group takes unitId .. unitId + count − 1. */
  readonly unitId: number;
  readonly modbusTcp?: TcpEndpoint;
  readonly rtu?: RtuEndpoint;
  readonly iec?: IecEndpoint;
  readonly faults: readonly FaultSpec[];
  readonly anomalies: readonly Anomaly[];
}

export interface FleetConfig {
  readonly seed: string | number;
  /** Simulated seconds per real second; 0 freezes the clock at `start` (reproducible values for tests). */
  readonly acceleration: number;
  /** Simulated start instant (ms since epoch); default: now. */
  readonly start?: number;
  readonly meters: readonly MeterGroup[];
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export const RTU_BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
/** IEC 62056-21 §6.3.14 baud rate identification Z = 0..6. */
export const IEC_BAUDS = [300, 600, 1200, 2400, 4800, 9600, 19200] as const;
export const MAX_UNIT_ID = 247;
/** Modbus TCP carries any unit identifier 0..255 (gateways use 0 and 255 for themselves; TCP guide §4.4.1.2). */
export const MAX_TCP_UNIT_ID = 255;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: string[] = [];
  fail(path: string, msg: string): undefined {
    this.errors.push(`${path}: ${msg}`);
    return undefined;
  }
  keys(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) this.fail(`${path}.${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
  num(v: unknown, path: string, min: number, max: number, integer = false): number | undefined {
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < min ||
      v > max ||
      (integer && !Number.isInteger(v))
    ) {
      return this.fail(
        path,
        `must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  }
  str(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string' || v.length === 0)
      return this.fail(path, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }
  oneOf<T>(v: unknown, path: string, options: readonly T[]): T | undefined {
    if (!options.includes(v as T))
      return this.fail(path, `must be one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }
  time(v: unknown, path: string): number | undefined {
    const t =
      v instanceof Date
        ? v.getTime()
        : typeof v === 'string'
          ? Date.parse(v)
          : typeof v === 'number'
            ? v
            : NaN;
    if (!Number.isFinite(t)) return this.fail(path, `must be an ISO date-time, got ${JSON.stringify(v)}`);
    return t;
  }
}

/** `HOST:PORT` (IPv6 as `[::1]:502`). */
export function parseHostPort(s: string): TcpEndpoint | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = Number(m?.[3]);
  if (!m || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

function parseFault(c: Checker, v: unknown, path: string): FaultSpec | undefined {
  if (!isObj(v)) return c.fail(path, 'must be a mapping like {kind: busy, probability: 0.1}');
  c.keys(v, path, ['kind', 'probability', 'delayMs', 'byteDelayMs', 'startMs', 'durationMs', 'periodMs']);
  const kind = c.oneOf(v.kind, `${path}.kind`, FAULT_KINDS);
  const out: Record<string, unknown> = { kind };
  if (v.probability !== undefined) out.probability = c.num(v.probability, `${path}.probability`, 0, 1);
  for (const k of ['delayMs', 'byteDelayMs', 'startMs', 'durationMs', 'periodMs'] as const) {
    if (v[k] !== undefined) out[k] = c.num(v[k], `${path}.${k}`, 0, 86_400_000);
  }
  return kind ? (out as unknown as FaultSpec) : undefined;
}

function parseAnomaly(c: Checker, v: unknown, path: string): Anomaly | undefined {
  if (!isObj(v)) return c.fail(path, 'must be a mapping like {kind: leak, from: 2026-03-01, kw: 0.3}');
  const kind = c.oneOf(v.kind, `${path}.kind`, ANOMALY_KINDS);
  switch (kind) {
    case 'jump': {
      c.keys(v, path, ['kind', 'from', 'factor']);
      const from = c.time(v.from, `${path}.from`);
      const factor = c.num(v.factor, `${path}.factor`, 0, 100);
      return from !== undefined && factor !== undefined ? { kind, from, factor } : undefined;
    }
    case 'leak': {
      c.keys(v, path, ['kind', 'from', 'kw']);
      const from = c.time(v.from, `${path}.from`);
      const kw = c.num(v.kw, `${path}.kw`, 0, 1000);
      return from !== undefined && kw !== undefined ? { kind, from, kw } : undefined;
    }
    case 'stopped': {
      c.keys(v, path, ['kind', 'from', 'to']);
      const from = c.time(v.from, `${path}.from`);
      const to = v.to === undefined ? undefined : c.time(v.to, `${path}.to`);
      return from !== undefined ? { kind, from, ...(to !== undefined ? { to } : {}) } : undefined;
    }
    case 'rollback': {
      c.keys(v, path, ['kind', 'at', 'kwh']);
      const at = c.time(v.at, `${path}.at`);
      const kwh = c.num(v.kwh, `${path}.kwh`, 0, 1e9);
      return at !== undefined && kwh !== undefined ? { kind, at, kwh } : undefined;
    }
    default:
      return undefined;
  }
}

function parseGroup(c: Checker, v: unknown, path: string, index: number): MeterGroup | undefined {
  if (!isObj(v)) return c.fail(path, 'must be a mapping with at least model and one transport');
  c.keys(v, path, [
    'model',
    'count',
    'idPrefix',
    'profile',
    'annualKwh',
    'initialKwh',
    'unitId',
    'modbusTcp',
    'rtu',
    'iec',
    'faults',
    'anomalies',
  ]);
  const model = c.oneOf(v.model, `${path}.model`, modelNames());
  const count = v.count === undefined ? 1 : c.num(v.count, `${path}.count`, 1, 100_000, true);
  const idPrefix = v.idPrefix === undefined ? `sim${index + 1}-` : c.str(v.idPrefix, `${path}.idPrefix`);
  const profile =
    v.profile === undefined ? 'household' : c.oneOf(v.profile, `${path}.profile`, PROFILE_KINDS);
  // Serial lines address 1..247 (0 is broadcast); Modbus TCP 0..255.
  const maxUnit = v.modbusTcp !== undefined ? MAX_TCP_UNIT_ID : MAX_UNIT_ID;
  const minUnit = v.modbusTcp !== undefined ? 0 : 1;
  const unitId = v.unitId === undefined ? 1 : c.num(v.unitId, `${path}.unitId`, minUnit, maxUnit, true);
  const transports = (['modbusTcp', 'rtu', 'iec'] as const).filter((k) => v[k] !== undefined);
  if (transports.length !== 1)
    c.fail(
      path,
      `needs exactly one transport of modbusTcp, rtu, iec (got ${transports.join(', ') || 'none'})`,
    );
  const group: Record<string, unknown> = { model, count, idPrefix, profile, unitId };
  if (v.annualKwh !== undefined) group.annualKwh = c.num(v.annualKwh, `${path}.annualKwh`, 1, 1e8);
  if (v.initialKwh !== undefined) group.initialKwh = c.num(v.initialKwh, `${path}.initialKwh`, 0, 1e9);
  if (v.modbusTcp !== undefined) {
    const t = v.modbusTcp;
    if (typeof t === 'string')
      group.modbusTcp =
        parseHostPort(t) ?? c.fail(`${path}.modbusTcp`, `must be HOST:PORT, got ${JSON.stringify(t)}`);
    else if (isObj(t)) {
      c.keys(t, `${path}.modbusTcp`, ['host', 'port', 'portPerMeter']);
      const host = t.host === undefined ? '127.0.0.1' : c.str(t.host, `${path}.modbusTcp.host`);
      const port = c.num(t.port, `${path}.modbusTcp.port`, 0, 65535, true);
      const portPerMeter =
        t.portPerMeter === undefined
          ? false
          : t.portPerMeter === true
            ? true
            : t.portPerMeter === false
              ? false
              : c.fail(`${path}.modbusTcp.portPerMeter`, 'must be true or false');
      if (portPerMeter && port !== undefined && port > 0 && count !== undefined && port + count - 1 > 65535) {
        c.fail(`${path}.modbusTcp.port`, `ports ${port}..${port + count - 1} exceed 65535`);
      }
      group.modbusTcp = { host, port, ...(portPerMeter ? { portPerMeter: true } : {}) };
    } else c.fail(`${path}.modbusTcp`, 'must be HOST:PORT or {host, port}');
  }
  if (v.rtu !== undefined) {
    if (!isObj(v.rtu)) c.fail(`${path}.rtu`, 'must be {path, baud}');
    else {
      c.keys(v.rtu, `${path}.rtu`, ['path', 'baud', 'parity']);
      group.rtu = {
        path: c.str(v.rtu.path, `${path}.rtu.path`),
        baud: v.rtu.baud === undefined ? 9600 : c.oneOf(v.rtu.baud, `${path}.rtu.baud`, RTU_BAUDS),
        parity:
          v.rtu.parity === undefined
            ? 'none'
            : c.oneOf(v.rtu.parity, `${path}.rtu.parity`, ['none', 'even', 'odd'] as const),
      };
    }
  }
  if (v.iec !== undefined) {
    if (!isObj(v.iec)) c.fail(`${path}.iec`, 'must be {path}');
    else {
      c.keys(v.iec, `${path}.iec`, ['path', 'baud']);
      group.iec = {
        path: c.str(v.iec.path, `${path}.iec.path`),
        baud: v.iec.baud === undefined ? 9600 : c.oneOf(v.iec.baud, `${path}.iec.baud`, IEC_BAUDS),
      };
      if (count !== undefined && count !== 1)
        c.fail(`${path}.count`, 'an iec meter owns its serial line: count must be 1');
    }
  }
  const list = (key: 'faults' | 'anomalies', parse: (c: Checker, x: unknown, p: string) => unknown) => {
    const raw = v[key];
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) return c.fail(`${path}.${key}`, 'must be a list') ?? [];
    return raw.map((x, i) => parse(c, x, `${path}.${key}[${i}]`));
  };
  group.faults = list('faults', parseFault);
  group.anomalies = list('anomalies', parseAnomaly);
  const perPort = isObj(v.modbusTcp) && v.modbusTcp.portPerMeter === true;
  if (unitId !== undefined && count !== undefined && unitId + count - 1 > maxUnit && !v.iec && !perPort) {
    c.fail(
      path,
      `unit ids ${unitId}..${unitId + count - 1} exceed ${maxUnit}: split the group over several ports or lines`,
    );
  }
  return group as unknown as MeterGroup;
}

export function parseFleetConfig(input: unknown): ParseResult<FleetConfig> {
  const c = new Checker();
  if (!isObj(input)) return { ok: false, errors: ['(root): must be a mapping with a `meters` list'] };
  c.keys(input, '(root)', ['seed', 'acceleration', 'start', 'meters']);
  const seed =
    input.seed === undefined
      ? 1
      : typeof input.seed === 'string' || typeof input.seed === 'number'
        ? input.seed
        : c.fail('seed', 'must be a string or number');
  const acceleration =
    input.acceleration === undefined ? 1 : c.num(input.acceleration, 'acceleration', 0, 1e7);
  const start = input.start === undefined ? undefined : c.time(input.start, 'start');
  if (!Array.isArray(input.meters) || input.meters.length === 0)
    c.fail('meters', 'must be a non-empty list of meter groups');
  const meters = Array.isArray(input.meters)
    ? input.meters.map((g, i) => parseGroup(c, g, `meters[${i}]`, i))
    : [];
  // Groups may share a TCP port or an RTU line (at one baud), but not a unit id on it; an IEC line
  // belongs to one meter.
  const taken = new Map<string, string>();
  const lines = new Map<string, { use: string; owner: string }>();
  meters.forEach((g, i) => {
    if (!g) return;
    const serial = g.rtu ?? g.iec;
    if (serial) {
      const use = g.rtu ? `rtu at ${g.rtu.baud} baud` : 'iec';
      const prev = lines.get(serial.path);
      if (prev && (prev.use !== use || use === 'iec')) {
        c.fail(`meters[${i}]`, `serial line ${serial.path} is already used by ${prev.owner} (${prev.use})`);
        return;
      }
      lines.set(serial.path, { use, owner: `meters[${i}]` });
    }
    if (!g.modbusTcp && !g.rtu) return;
    // (endpoint, unit id) pairs the group occupies; port 0 picks free ports, which never clash.
    const tcp = g.modbusTcp;
    const pairs: Array<[string, number]> = g.rtu
      ? Array.from({ length: g.count }, (_, k) => [`rtu ${g.rtu!.path}`, g.unitId + k])
      : tcp!.port === 0
        ? []
        : Array.from({ length: g.count }, (_, k) =>
            tcp!.portPerMeter
              ? [`tcp ${tcp!.host}:${tcp!.port + k}`, g.unitId]
              : [`tcp ${tcp!.host}:${tcp!.port}`, g.unitId + k],
          );
    for (const [where, id] of pairs) {
      const other = taken.get(`${where}#${id}`);
      if (other !== undefined) {
        c.fail(`meters[${i}]`, `unit id ${id} on ${where} is also used by ${other}`);
        break;
      }
      taken.set(`${where}#${id}`, `meters[${i}]`);
    }
  });
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return {
    ok: true,
    value: {
      seed: seed!,
      acceleration: acceleration!,
      ...(start !== undefined ? { start } : {}),
      meters: meters as MeterGroup[],
    },
  };
}
