import { Type, type Static } from '@sinclair/typebox';
import { OBIS_CODE_PATTERN } from '../obis.js';
import { Measurement, MeterId, Sequence, Timestamp, Version } from './common.js';

export const READING_QUALITIES = ['good', 'estimated', 'customer', 'suspect', 'bad'] as const;
export const READING_SOURCES = [
  'modbus-tcp',
  'modbus-rtu',
  'iec62056-21',
  'dlms',
  'mqtt',
  'simulator',
  'customer',
  'estimate',
] as const;

/** Readings are small: one meter, one instant. A cap keeps a hostile publisher from making us parse megabytes. */
export const MAX_VALUES_PER_READING = 64;

export const Reading = Type.Object(
  {
    v: Version,
    meter: MeterId,
    seq: Sequence,
    ts: Timestamp,
    values: Type.Record(Type.String({ pattern: OBIS_CODE_PATTERN }), Measurement, {
      minProperties: 1,
      maxProperties: MAX_VALUES_PER_READING,
      description: 'numbers keyed by OBIS code; the OBIS registry fixes each unit',
    }),
    quality: Type.Optional(
      Type.Union(
        READING_QUALITIES.map((q) => Type.Literal(q)),
        { description: "defaults to 'good'" },
      ),
    ),
    source: Type.Optional(
      Type.Union(
        READING_SOURCES.map((s) => Type.Literal(s)),
        { description: "defaults to 'mqtt'" },
      ),
    ),
    missing: Type.Optional(
      Type.Array(Type.String({ pattern: OBIS_CODE_PATTERN }), {
        maxItems: MAX_VALUES_PER_READING,
        uniqueItems: true,
        description: 'OBIS codes the poll asked for but could not read (a failed register block)',
      }),
    ),
    historical: Type.Optional(
      Type.Boolean({ description: 'store-and-forward replay: never overwrites live state' }),
    ),
  },
  { additionalProperties: false, $id: 'Reading' },
);
export type Reading = Static<typeof Reading>;
