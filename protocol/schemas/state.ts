import { Type, type Static } from '@sinclair/typebox';
import { EdgeId, Measurement, MeterId, Timestamp, Version } from './common.js';

export const MeterState = Type.Object(
  {
    v: Version,
    meter: MeterId,
    ts: Timestamp,
    online: Type.Boolean(),
    credit: Type.Optional(Measurement),
    relay: Type.Optional(Type.Union([Type.Literal('connected'), Type.Literal('disconnected')])),
    lastSuccess: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    consecutiveFailures: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
    error: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, $id: 'MeterState' },
);
export type MeterState = Static<typeof MeterState>;

export const EdgeState = Type.Object(
  {
    v: Version,
    edge: EdgeId,
    ts: Timestamp,
    online: Type.Boolean(),
    status: Type.Optional(
      Type.Union([Type.Literal('online'), Type.Literal('stopped'), Type.Literal('lost')], {
        description: 'stopped: clean shutdown; lost: the broker published the last will (crash, link loss)',
      }),
    ),
    meters: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    outboxDepth: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false, $id: 'EdgeState' },
);
export type EdgeState = Static<typeof EdgeState>;
