import { Type, type Static } from '@sinclair/typebox';

/**
 * The model file (YAML or JSON) as TypeBox; `model.schema.json` next to this file is generated from it
 * (`metergate models schema`, kept in sync by a test) so editors and other tools can validate too.
 */
const Fn = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)], {
  description: '1 coils, 2 discrete inputs, 3 holding registers, 4 input registers',
});
const FieldType = Type.Union(
  (
    ['bit', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'string'] as const
  ).map((t) => Type.Literal(t)),
  { description: 'string takes `registers` registers (two characters each)' },
);
const ByteOrderSchema = Type.Union(
  (['ABCD', 'DCBA', 'BADC', 'CDAB'] as const).map((o) => Type.Literal(o)),
  {
    description:
      'ABCD big-endian (high word first), CDAB low word first, BADC bytes swapped, DCBA little-endian',
  },
);
const Address = Type.Integer({ minimum: 0, maximum: 65535, description: '0-based PDU address' });
const Interval = Type.Number({
  exclusiveMinimum: 0,
  maximum: 86_400,
  description: 'seconds between reads of this field',
});

export const ModelField = Type.Object(
  {
    obis: Type.Optional(Type.String({ description: 'OBIS code of the protocol registry, e.g. 1-0:1.8.0' })),
    name: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9_.-]{0,63}$',
        description: 'free name of a field without an OBIS code',
      }),
    ),
    function: Type.Optional(Fn),
    address: Address,
    type: Type.Optional(FieldType),
    registers: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 125,
        description: 'registers of a string (others: implied by type)',
      }),
    ),
    byteOrder: Type.Optional(ByteOrderSchema),
    bit: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 15, description: 'bit field: lowest bit in the register' }),
    ),
    bits: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 16, description: 'bit field: width in bits (default 1)' }),
    ),
    scale: Type.Optional(Type.Number({ description: 'value = raw × scale + offset' })),
    offset: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String({ maxLength: 16 })),
    interval: Type.Optional(Interval),
    writable: Type.Optional(Type.Boolean({ description: 'coils and holding registers only' })),
    notAvailable: Type.Optional(
      Type.Literal('max', { description: 'the largest raw value means "not available"' }),
    ),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ModelField = Static<typeof ModelField>;

export const ModelFile = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    model: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
      description: 'catalogue name, lower-case kebab',
    }),
    vendor: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.String({ minLength: 1, maxLength: 300 }),
    source: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'the vendor document cited' }),
    ),
    phases: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(3)])),
    defaults: Type.Optional(
      Type.Object(
        {
          function: Type.Optional(Fn),
          type: Type.Optional(FieldType),
          byteOrder: Type.Optional(ByteOrderSchema),
          scale: Type.Optional(Type.Number()),
          interval: Type.Optional(Interval),
        },
        { additionalProperties: false },
      ),
    ),
    fields: Type.Array(ModelField, { minItems: 1, maxItems: 1000 }),
  },
  {
    additionalProperties: false,
    $id: 'https://metergate.dev/schemas/model.schema.json',
    title: 'metergate meter model',
  },
);
export type ModelFile = Static<typeof ModelFile>;

/** The JSON Schema document (draft 2020-12 compatible subset) published as model.schema.json. */
export function modelJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...JSON.parse(JSON.stringify(ModelFile)),
  };
}
