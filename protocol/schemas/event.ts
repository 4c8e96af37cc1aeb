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
  'command',
  // The meter's registers were reset (replacement, maintenance): a lower index after it is legitimate.
  'meter.reset',
  // The meter lost its supply ("last gasp") / got it back: DLMS standard event log codes 1 and 2.
  'power.failure',
  'power.restored',
] as const;

/** Outcome of a command the edge received (kind `command`, `command` + `cmd` name it). */
export const COMMAND_OUTCOMES = ['done', 'failed', 'expired', 'rejected', 'duplicate'] as const;

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
    /** kind `command`: which command (relay, set, read), its id and what came of it. */
    command: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' })),
    cmd: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
    outcome: Type.Optional(Type.Union(COMMAND_OUTCOMES.map((o) => Type.Literal(o)))),
    field: Type.Optional(Type.String({ maxLength: 64 })),
    value: Type.Optional(Type.Union([Measurement, Type.Boolean()])),
  },
  { additionalProperties: false, $id: 'MeterEvent' },
);
export type MeterEvent = Static<typeof MeterEvent>;
