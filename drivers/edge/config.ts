import fs from 'node:fs';
import path from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TOPIC_PREFIX, ID_PATTERN } from '../../protocol/index.js';
import { CATALOGUE } from '../catalogue/index.js';
import { DriverError } from '../errors.js';

/**
 * The `metergate edge --config edge.yaml` document. Kept inside drivers/ (not cli/config) because only
 * the edge reads it; validated here with every error naming its key.
 */
const Id = Type.String({ pattern: ID_PATTERN });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const TcpTransportConfig = Type.Object(
  {
    type: Type.Literal('tcp'),
    host: Type.String({ minLength: 1 }),
    port: Type.Optional(Port),
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  },
  { additionalProperties: false },
);
export const RtuTransportConfig = Type.Object(
  {
    type: Type.Literal('rtu'),
    path: Type.String({ minLength: 1 }),
    baud: Type.Optional(Type.Integer({ minimum: 300, maximum: 921600 })),
    parity: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')])),
    unitId: Type.Integer({ minimum: 1, maximum: 247 }),
  },
  { additionalProperties: false },
);
export const IecTransportConfig = Type.Object(
  {
    type: Type.Literal('iec'),
    path: Type.String({ minLength: 1 }),
    address: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9 ]{1,32}$' })),
    maxBaud: Type.Optional(Type.Integer({ minimum: 300, maximum: 19200 })),
  },
  { additionalProperties: false },
);

export const MeterConfig = Type.Object(
  {
    id: Id,
    model: Type.Optional(Type.String({ minLength: 1 })),
    transport: Type.Union([TcpTransportConfig, RtuTransportConfig, IecTransportConfig]),
    /** Seconds between polls. */
    interval: Type.Number({ minimum: 0.05, maximum: 86_400 }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  },
  { additionalProperties: false },
);

export const EdgeConfig = Type.Object(
  {
    edgeId: Id,
    meters: Type.Array(MeterConfig, { minItems: 1, maxItems: 100_000 }),
    broker: Type.Object(
      {
        url: Type.String({ pattern: '^(mqtts?|wss?|tcp)://' }),
        username: Type.Optional(Type.String()),
        password: Type.Optional(Type.String()),
        clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        prefix: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    outbox: Type.Object(
      {
        dir: Type.String({ minLength: 1 }),
        maxBytes: Type.Optional(Type.Integer({ minimum: 65_536 })),
        maxAgeHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      },
      { additionalProperties: false },
    ),
    maxConcurrentPolls: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
export type EdgeConfig = Static<typeof EdgeConfig>;
export type MeterConfig = Static<typeof MeterConfig>;

export type ConfigResult = { ok: true; value: EdgeConfig } | { ok: false; errors: string[] };

function keyOf(pointer: string): string {
  const parts = pointer.split('/').filter(Boolean);
  return parts.length
    ? parts
        .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
        .join('')
        .replace(/^\./, '')
    : '(root)';
}

const TRANSPORTS = { tcp: TcpTransportConfig, rtu: RtuTransportConfig, iec: IecTransportConfig } as const;

function schemaErrors(
  schema: TSchema,
  value: unknown,
  prefix: string,
  out: string[],
  seen: Set<string>,
): void {
  for (const e of Value.Errors(schema, value)) {
    const pointer = prefix + e.path;
    const transport = /^\/meters\/(\d+)\/transport$/.exec(pointer);
    if (transport && Array.isArray((value as { meters?: unknown }).meters)) {
      // A union only says "Expected union value": check against the branch `type` names instead.
      const t = (value as { meters: Array<{ transport?: { type?: unknown } }> }).meters[Number(transport[1])]
        ?.transport;
      const branch = TRANSPORTS[String(t?.type) as keyof typeof TRANSPORTS];
      if (branch) {
        schemaErrors(branch, t, pointer, out, seen);
        continue;
      }
      if (!seen.has(`${pointer}/type`)) {
        seen.add(`${pointer}/type`);
        out.push(`${keyOf(`${pointer}/type`)}: must be one of tcp, rtu, iec`);
      }
      continue;
    }
    const key = keyOf(pointer);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`${key}: ${e.message}`);
  }
}

/** Validates untrusted config; each error starts with the offending key, e.g. `meters[2].transport.port`. */
export function validateEdgeConfig(doc: unknown): ConfigResult {
  const errors: string[] = [];
  schemaErrors(EdgeConfig, doc, '', errors, new Set());
  const meters = (doc as { meters?: unknown } | null)?.meters;
  const ids = new Set<string>();
  const lines = new Map<string, string>();
  (Array.isArray(meters) ? (meters as Partial<MeterConfig>[]) : []).forEach((m, i) => {
    if (typeof m !== 'object' || m === null) return;
    if (typeof m.id === 'string') {
      if (ids.has(m.id)) errors.push(`meters[${i}].id: duplicate meter id ${m.id}`);
      ids.add(m.id);
    }
    const t = m.transport as MeterConfig['transport'] | undefined;
    if (t?.type !== 'iec') {
      if (m.model === undefined) errors.push(`meters[${i}].model: required for Modbus meters`);
      else if (typeof m.model === 'string' && !CATALOGUE[m.model])
        errors.push(
          `meters[${i}].model: unknown model ${JSON.stringify(m.model)} (known: ${Object.keys(CATALOGUE).join(', ')})`,
        );
    }
    if (t?.type === 'rtu' && typeof t.path === 'string') {
      const sig = `${t.baud ?? 9600}/${t.parity ?? 'even'}`;
      const prev = lines.get(t.path);
      if (prev && prev !== sig)
        errors.push(`meters[${i}].transport.baud: line ${t.path} is already configured as ${prev}`);
      lines.set(t.path, sig);
    }
  });
  return errors.length ? { ok: false, errors: errors.slice(0, 30) } : { ok: true, value: doc as EdgeConfig };
}

/** Reads and validates a YAML or JSON edge config file; throws DriverError listing every bad key. */
export function loadEdgeConfig(file: string): EdgeConfig {
  let doc: unknown;
  try {
    const text = fs.readFileSync(file, 'utf8');
    doc = path.extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new DriverError('MG_ERR_DRIVER_CONFIG', `${file}: ${(err as Error).message}`);
  }
  const r = validateEdgeConfig(doc);
  if (!r.ok) throw new DriverError('MG_ERR_DRIVER_CONFIG', `${file}:\n  ${r.errors.join('\n  ')}`);
  return r.value;
}

export const DEFAULT_EDGE_PREFIX = DEFAULT_TOPIC_PREFIX;
