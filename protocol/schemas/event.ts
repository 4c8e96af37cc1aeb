import { Type, type Static } from '@sinclair/typebox';
import { Measurement, MeterId, Sequence, Timestamp, TokenDigits, Version } from './common.js';

export const EVENT_KINDS = [
  'token.accepted',
  'token.rejected',
  'relay',
  'tamper',
  'credit.low',
  'credit.exhausted',
  'key.changed',
  'power.limit',
] as const;

export const MeterEvent = Type.Object(
  {
    v: Version,
    meter: MeterId,
    ts: Timestamp,
    kind: Type.Union(EVENT_KINDS.map((k) => Type.Literal(k))),
    seq: Type.Optional(Sequence),
    token: Type.Optional(TokenDigits),
    /** Meter-side reason code on rejection (Format, CRC, Old, Used, KeyExpired, …). */
    reason: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,32}$' })),
    credit: Type.Optional(Measurement),
    relay: Type.Optional(Type.Union([Type.Literal('connected'), Type.Literal('disconnected')])),
    detail: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, $id: 'MeterEvent' },
);
export type MeterEvent = Static<typeof MeterEvent>;
