import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ProtocolErrorCode } from './errors.js';
import { lookupObis } from './obis.js';
import { COMMAND_SCHEMAS, ReadCommand, RelayCommand, SetCommand, TokenCommand } from './schemas/command.js';
import { MeterEvent } from './schemas/event.js';
import { Reading } from './schemas/reading.js';
import { EdgeState, MeterState } from './schemas/state.js';
import { parseIsoDateTime } from './iso-time.js';

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
  'cmd.set': SetCommand,
  'cmd.read': ReadCommand,
} as const;
export type PayloadKind = keyof typeof PAYLOAD_SCHEMAS;
export type Payload<K extends PayloadKind> = Static<(typeof PAYLOAD_SCHEMAS)[K]>;

export interface FieldError {
  /** JSON pointer of the offending field, `/` for the whole payload. */
  path: string;
  message: string;
}

export interface DecodeFailure {
  ok: false;
  code: ProtocolErrorCode;
  message: string;
  errors: FieldError[];
}
export type DecodeResult<T> = { ok: true; value: T } | DecodeFailure;

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

function fail(kind: string, code: ProtocolErrorCode, errors: FieldError[]): DecodeFailure {
  const first = errors[0] ?? { path: '/', message: 'invalid' };
  const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
  return { ok: false, code, errors, message: `${kind} ${first.path}: ${first.message}${more}` };
}

function calendarErrors(value: Record<string, unknown>): FieldError[] {
  const ts = value.ts;
  if (typeof ts === 'string' && parseIsoDateTime(ts) === undefined) {
    return [{ path: '/ts', message: `not a real calendar time (got ${JSON.stringify(ts)})` }];
  }
  return [];
}

function obisErrors(values: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  for (const code in values) {
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

/** A decoded reading with the epoch milliseconds of its `ts`, parsed once by the calendar check. */
export type ReadingDecodeResult = { ok: true; value: Reading; tsMs: number } | DecodeFailure;

function schemaErrors(check: TypeCheck<TSchema>, value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const e of check.Errors(value)) {
    errors.push({ path: e.path || '/', message: `${e.message} (${preview(e.value)})` });
    if (errors.length >= MAX_REPORTED_ERRORS) break;
  }
  return errors;
}

const readingCheck = compiled.get('reading')!;

/**
 * Schema → calendar → OBIS registry for a reading. `owned`: the value was parsed here from the wire
 * and nobody else holds it, so the defaults are filled in place instead of in a copy (one object
 * less per reading on the ingest path).
 */
function validateReading(value: unknown, owned: boolean): ReadingDecodeResult {
  if (!readingCheck.Check(value)) {
    return fail('reading', 'MG_ERR_PROTOCOL_SCHEMA', schemaErrors(readingCheck, value));
  }
  const r = value as Reading;
  const tsMs = parseIsoDateTime(r.ts);
  if (tsMs === undefined) {
    return fail('reading', 'MG_ERR_PROTOCOL_SCHEMA', [
      { path: '/ts', message: `not a real calendar time (got ${JSON.stringify(r.ts)})` },
    ]);
  }
  const obis = obisErrors(r.values);
  if (obis.length) return fail('reading', 'MG_ERR_PROTOCOL_OBIS', obis);
  if (owned) {
    r.quality ??= 'good';
    r.source ??= 'mqtt';
    return { ok: true, value: r, tsMs };
  }
  return { ok: true, value: { ...r, quality: r.quality ?? 'good', source: r.source ?? 'mqtt' }, tsMs };
}

/** Validate an already-parsed value (HTTP bodies, tests). Never throws on untrusted input. */
export function validatePayload<K extends PayloadKind>(kind: K, value: unknown): DecodeResult<Payload<K>> {
  if (kind === 'reading') {
    const r = validateReading(value, false);
    return (r.ok ? { ok: true, value: r.value } : r) as DecodeResult<Payload<K>>;
  }
  const check = compiled.get(kind);
  if (!check) throw new TypeError(`unknown payload kind ${kind}`);
  if (!check.Check(value)) return fail(kind, 'MG_ERR_PROTOCOL_SCHEMA', schemaErrors(check, value));
  const cal = calendarErrors(value as Record<string, unknown>);
  if (cal.length) return fail(kind, 'MG_ERR_PROTOCOL_SCHEMA', cal);
  return { ok: true, value: value as Payload<K> };
}

export interface DecodeOptions {
  maxBytes?: number;
}

type Parsed = { ok: true; value: unknown } | { ok: false; code: ProtocolErrorCode; errors: FieldError[] };

/** Size → JSON: the one parse of a wire payload. */
function parseWire(payload: Uint8Array | string, options: DecodeOptions): Parsed {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes) {
    return {
      ok: false,
      code: 'MG_ERR_PROTOCOL_TOO_LARGE',
      errors: [{ path: '/', message: `payload is ${size} bytes, limit ${maxBytes}` }],
    };
  }
  try {
    // MQTT payloads arrive as Buffers: decoded as they are, without a second view over the bytes.
    const text =
      typeof payload === 'string'
        ? payload
        : Buffer.isBuffer(payload)
          ? payload.toString('utf8')
          : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return {
      ok: false,
      code: 'MG_ERR_PROTOCOL_JSON',
      errors: [{ path: '/', message: `invalid JSON: ${(err as Error).message.slice(0, 120)}` }],
    };
  }
}

/** Decode an untrusted wire payload (size → JSON → schema → registry). Never throws. */
export function decodePayload<K extends PayloadKind>(
  kind: K,
  payload: Uint8Array | string,
  options: DecodeOptions = {},
): DecodeResult<Payload<K>> {
  const parsed = parseWire(payload, options);
  if (!parsed.ok) return fail(kind, parsed.code, parsed.errors);
  return validatePayload(kind, parsed.value);
}

/**
 * A wire reading, decoded for ingest: one JSON parse, the defaults filled in the parsed object, and
 * the epoch milliseconds of `ts` from the calendar check (so nobody parses the timestamp twice).
 */
export function decodeReading(
  payload: Uint8Array | string,
  options: DecodeOptions = {},
): ReadingDecodeResult {
  const parsed = parseWire(payload, options);
  if (!parsed.ok) return fail('reading', parsed.code, parsed.errors);
  return validateReading(parsed.value, true);
}

export function commandKind(name: string): PayloadKind | undefined {
  return name in COMMAND_SCHEMAS ? (`cmd.${name}` as PayloadKind) : undefined;
}
