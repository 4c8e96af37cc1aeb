import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ProtocolErrorCode } from './errors.js';
import { lookupObis } from './obis.js';
import { COMMAND_SCHEMAS, RelayCommand, TokenCommand } from './schemas/command.js';
import { MeterEvent } from './schemas/event.js';
import { Reading } from './schemas/reading.js';
import { EdgeState, MeterState } from './schemas/state.js';

/** Default cap on one MQTT payload; far above a real reading (~300 bytes), far below harm. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;
const MAX_REPORTED_ERRORS = 5;

export const PAYLOAD_SCHEMAS = {
  reading: Reading,
  event: MeterEvent,
  state: MeterState,
  'edge-state': EdgeState,
  'cmd.token': TokenCommand,
  'cmd.relay': RelayCommand,
} as const;
export type PayloadKind = keyof typeof PAYLOAD_SCHEMAS;
export type Payload<K extends PayloadKind> = Static<(typeof PAYLOAD_SCHEMAS)[K]>;

export interface FieldError {
  /** JSON pointer of the offending field, `/` for the whole payload. */
  path: string;
  message: string;
}

export type DecodeResult<T> =
  { ok: true; value: T } | { ok: false; code: ProtocolErrorCode; message: string; errors: FieldError[] };

// Compiled once at load: validation is on the hot ingest path.
const compiled = new Map<PayloadKind, TypeCheck<TSchema>>(
  (Object.keys(PAYLOAD_SCHEMAS) as PayloadKind[]).map((k) => [k, TypeCompiler.Compile(PAYLOAD_SCHEMAS[k])]),
);

function preview(value: unknown): string {
  let text: string;
  if (typeof value === 'number') text = String(value);
  else if (typeof value === 'string')
    text = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  else if (value === undefined) return 'missing';
  else if (Array.isArray(value)) text = `array(${value.length})`;
  else if (value === null) text = 'null';
  else text = typeof value;
  return `got ${text}`;
}

function fail<T>(kind: string, code: ProtocolErrorCode, errors: FieldError[]): DecodeResult<T> {
  const first = errors[0] ?? { path: '/', message: 'invalid' };
  const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
  return { ok: false, code, errors, message: `${kind} ${first.path}: ${first.message}${more}` };
}

function calendarErrors(value: Record<string, unknown>): FieldError[] {
  const ts = value.ts;
  if (typeof ts === 'string' && Number.isNaN(Date.parse(ts))) {
    return [{ path: '/ts', message: `not a real calendar time (got ${JSON.stringify(ts)})` }];
  }
  return [];
}

function obisErrors(values: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  for (const code of Object.keys(values)) {
    const entry = lookupObis(code);
    if (!entry)
      errors.push({ path: `/values/${code}`, message: `unknown OBIS code ${code} (not in the registry)` });
    else if (!entry.numeric)
      errors.push({
        path: `/values/${code}`,
        message: `OBIS code ${code} (${entry.quantity}) is not numeric`,
      });
    if (errors.length >= MAX_REPORTED_ERRORS) break;
  }
  return errors;
}

/** Validate an already-parsed value (HTTP bodies, tests). Never throws on untrusted input. */
export function validatePayload<K extends PayloadKind>(kind: K, value: unknown): DecodeResult<Payload<K>> {
  const check = compiled.get(kind);
  if (!check) throw new TypeError(`unknown payload kind ${kind}`);
  if (!check.Check(value)) {
    const errors: FieldError[] = [];
    for (const e of check.Errors(value)) {
      errors.push({ path: e.path || '/', message: `${e.message} (${preview(e.value)})` });
      if (errors.length >= MAX_REPORTED_ERRORS) break;
    }
    return fail(kind, 'MG_ERR_PROTOCOL_SCHEMA', errors);
  }
  const obj = value as Record<string, unknown>;
  const cal = calendarErrors(obj);
  if (cal.length) return fail(kind, 'MG_ERR_PROTOCOL_SCHEMA', cal);
  if (kind === 'reading') {
    const obis = obisErrors(obj.values as Record<string, unknown>);
    if (obis.length) return fail(kind, 'MG_ERR_PROTOCOL_OBIS', obis);
    const r = obj as Reading;
    return {
      ok: true,
      value: { ...r, quality: r.quality ?? 'good', source: r.source ?? 'mqtt' } as Payload<K>,
    };
  }
  return { ok: true, value: value as Payload<K> };
}

export interface DecodeOptions {
  maxBytes?: number;
}

/** Decode an untrusted wire payload (size → JSON → schema → registry). Never throws. */
export function decodePayload<K extends PayloadKind>(
  kind: K,
  payload: Uint8Array | string,
  options: DecodeOptions = {},
): DecodeResult<Payload<K>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes) {
    return fail(kind, 'MG_ERR_PROTOCOL_TOO_LARGE', [
      { path: '/', message: `payload is ${size} bytes, limit ${maxBytes}` },
    ]);
  }
  let parsed: unknown;
  try {
    const text =
      typeof payload === 'string'
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    parsed = JSON.parse(text);
  } catch (err) {
    return fail(kind, 'MG_ERR_PROTOCOL_JSON', [
      { path: '/', message: `invalid JSON: ${(err as Error).message.slice(0, 120)}` },
    ]);
  }
  return validatePayload(kind, parsed);
}

export function decodeReading(payload: Uint8Array | string, options?: DecodeOptions): DecodeResult<Reading> {
  return decodePayload('reading', payload, options) as DecodeResult<Reading>;
}

export function commandKind(name: string): PayloadKind | undefined {
  return name in COMMAND_SCHEMAS ? (`cmd.${name}` as PayloadKind) : undefined;
}
