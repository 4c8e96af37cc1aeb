import fs from 'node:fs';
import path from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TOPIC_PREFIX, ID_PATTERN } from '../../protocol/index.js';
import { findModel, loadModelDir, modelNames } from '../catalogue/index.js';
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
    /** Consecutive timeouts after which this unit counts as silent (0 = never); default 3. */
    reconnectAfterTimeouts: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    /** mbap (Modbus TCP), or rtu / ascii (serial frames over TCP, serial device servers). */
    framing: Type.Optional(Type.Union([Type.Literal('mbap'), Type.Literal('rtu'), Type.Literal('ascii')])),
    /** Silence before each request, ms (slow gateways). */
    pauseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    /** Gateways that echo wrong transaction ids: match the single outstanding request instead. */
    ignoreTransactionId: Type.Optional(Type.Boolean()),
    /** Close the connection after every poll (devices that allow one short connection at a time). */
    closeAfterPoll: Type.Optional(Type.Boolean()),
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
/** Modbus ASCII on a serial line (Modbus over serial line V1.02 §2.5.2: 7 data bits, LRC). */
export const AsciiTransportConfig = Type.Object(
  {
    type: Type.Literal('ascii'),
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

/** A DLMS/COSEM meter (drivers/dlms): secrets come from the environment, never from the file. */
export const DlmsTransportConfig = Type.Object(
  {
    type: Type.Literal('dlms'),
    host: Type.String({ minLength: 1 }),
    port: Type.Optional(Port),
    framing: Type.Optional(Type.Union([Type.Literal('wrapper'), Type.Literal('hdlc')])),
    client: Type.Optional(Type.Integer({ minimum: 1, maximum: 127 })),
    server: Type.Optional(Type.Integer({ minimum: 0, maximum: 16383 })),
    serverLower: Type.Optional(Type.Integer({ minimum: 0, maximum: 16383 })),
    auth: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('low'), Type.Literal('high-gmac')])),
    passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    ekEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    akEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    objects: Type.Optional(
      Type.Array(Type.String({ pattern: '^(\\d+:)?\\d+\\.\\d+\\.\\d+\\.\\d+\\.\\d+\\.\\d+(:\\d+)?$' }), {
        maxItems: 64,
      }),
    ),
    profile: Type.Optional(
      Type.Object(
        {
          obis: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+\\.\\d+\\.\\d+$' }),
          from: Type.Optional(
            Type.String({
              pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$',
            }),
          ),
          maxEntries: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          everySeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * Where a meter is (lat, lon, address, commune, province, region, feeder, transformer, concentrator).
 * Only an object here: its fields are checked at start against the protocol's MeterLocation, and a
 * bad one is logged (naming the meter and field) and left out, without stopping the edge.
 */
const LocationConfig = Type.Record(Type.String(), Type.Unknown());

/** DLMS push listener: meters that send DataNotifications (push setup, class 40) to the edge. */
export const DlmsPushConfig = Type.Object(
  {
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Port,
    objects: Type.Array(
      Type.Object(
        {
          ref: Type.String({ minLength: 11 }),
          scaler: Type.Optional(Type.Integer({ minimum: -128, maximum: 127 })),
          unit: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 64 },
    ),
    meters: Type.Array(
      Type.Object(
        {
          id: Id,
          deviceName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          wPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          systemTitle: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{16}$' })),
          ekEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
          akEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
          location: Type.Optional(LocationConfig),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100_000 },
    ),
  },
  { additionalProperties: false },
);

export const MeterConfig = Type.Object(
  {
    id: Id,
    model: Type.Optional(Type.String({ minLength: 1 })),
    transport: Type.Union([
      TcpTransportConfig,
      RtuTransportConfig,
      IecTransportConfig,
      DlmsTransportConfig,
      AsciiTransportConfig,
    ]),
    /** Seconds between polls. */
    interval: Type.Number({ minimum: 0.05, maximum: 86_400 }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    /** Largest run of unmapped registers one read may span (default 32); 0 never bridges gaps. */
    maxGap: Type.Optional(Type.Integer({ minimum: 0, maximum: 124 })),
    location: Type.Optional(LocationConfig),
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
    /** Directory of user model files (YAML/JSON), relative to the config file. */
    models: Type.Optional(Type.String({ minLength: 1 })),
    dlmsPush: Type.Optional(DlmsPushConfig),
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

const TRANSPORTS = {
  tcp: TcpTransportConfig,
  rtu: RtuTransportConfig,
  iec: IecTransportConfig,
  dlms: DlmsTransportConfig,
  ascii: AsciiTransportConfig,
} as const;

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
        out.push(`${keyOf(`${pointer}/type`)}: must be one of ${Object.keys(TRANSPORTS).join(', ')}`);
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
    if (t?.type !== 'iec' && t?.type !== 'dlms') {
      if (m.model === undefined) errors.push(`meters[${i}].model: required for Modbus meters`);
      else if (typeof m.model === 'string' && !findModel(m.model))
        errors.push(
          `meters[${i}].model: unknown model ${JSON.stringify(m.model)} (known: ${modelNames().join(', ')})`,
        );
    }
    if ((t?.type === 'rtu' || t?.type === 'ascii') && typeof t.path === 'string') {
      // One transmission mode, baud rate and parity per line (Modbus over serial line §2.5).
      const sig = `${t.type} ${t.baud ?? 9600}/${t.parity ?? 'even'}`;
      const prev = lines.get(t.path);
      if (prev && prev !== sig) {
        const key = prev.split(' ')[0] !== t.type ? 'type' : 'baud';
        errors.push(`meters[${i}].transport.${key}: line ${t.path} is already configured as ${prev}`);
      }
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
  const modelsDir = (doc as { models?: unknown } | null)?.models;
  if (typeof modelsDir === 'string') {
    // User models are loaded before the meters are checked, so `model:` may name them.
    const dir = path.resolve(path.dirname(file), modelsDir);
    const loaded = loadModelDir(dir);
    if (!loaded.ok)
      throw new DriverError(
        'MG_ERR_DRIVER_CONFIG',
        `${file}: models: ${dir}:\n  ${loaded.errors.join('\n  ')}`,
      );
    (doc as { models: string }).models = dir;
  }
  const r = validateEdgeConfig(doc);
  if (!r.ok) throw new DriverError('MG_ERR_DRIVER_CONFIG', `${file}:\n  ${r.errors.join('\n  ')}`);
  return r.value;
}

export const DEFAULT_EDGE_PREFIX = DEFAULT_TOPIC_PREFIX;
