import { Type, type Static } from '@sinclair/typebox';
import { EdgeId, Measurement, MeterId, Timestamp, Version } from './common.js';

const NetworkId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' });
const PlaceText = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000]*$' });

/**
 * Where an edge-attached meter is (edge.yaml `meters[].location`): WGS 84 coordinates, the address
 * and the place in the network, the same fields and bounds as the gateway's location import.
 */
export const MeterLocation = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    address: Type.Optional(PlaceText),
    commune: Type.Optional(PlaceText),
    province: Type.Optional(PlaceText),
    region: Type.Optional(PlaceText),
    feeder: Type.Optional(NetworkId),
    transformer: Type.Optional(NetworkId),
    concentrator: Type.Optional(NetworkId),
  },
  { additionalProperties: false },
);
export type MeterLocation = Static<typeof MeterLocation>;

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
    /** Where the meter is, as its edge's configuration says (retained with the state). */
    location: Type.Optional(MeterLocation),
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
