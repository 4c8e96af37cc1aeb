import { Type, type Static } from '@sinclair/typebox';
import { MeterId, Timestamp, TIMESTAMP_PATTERN, TokenDigits, Version } from './common.js';

const CommandId = Type.String({
  pattern: '^[A-Za-z0-9._-]{1,64}$',
  description: 'correlation id echoed in events',
});

/** `cmd/token`: the gateway hands a vended token to a connected meter. */
export const TokenCommand = Type.Object(
  { v: Version, id: CommandId, meter: MeterId, ts: Timestamp, token: TokenDigits },
  { additionalProperties: false, $id: 'TokenCommand' },
);
export type TokenCommand = Static<typeof TokenCommand>;

const Reason = Type.String({ maxLength: 200, description: 'why (audited, echoed in the event)' });
const ExpiresAt = Type.String({
  pattern: TIMESTAMP_PATTERN,
  maxLength: 35,
  description: 'RFC 3339 instant after which the edge no longer executes the command',
});

/**
 * `cmd/relay`: open (disconnect the supply) or close (reconnect) the meter's relay. `action` is the
 * operator's word; `relay` (the resulting state) is still accepted. Exactly one of the two is given.
 */
export const RelayCommand = Type.Object(
  {
    v: Version,
    id: CommandId,
    meter: Type.Optional(MeterId),
    ts: Type.Optional(Timestamp),
    action: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('close')])),
    relay: Type.Optional(Type.Union([Type.Literal('connected'), Type.Literal('disconnected')])),
    reason: Type.Optional(Reason),
    expiresAt: Type.Optional(ExpiresAt),
  },
  { additionalProperties: false, $id: 'RelayCommand' },
);
export type RelayCommand = Static<typeof RelayCommand>;

/** `cmd/set`: write a writable field of the meter's model (by its OBIS code or name). */
export const SetCommand = Type.Object(
  {
    v: Version,
    id: CommandId,
    meter: Type.Optional(MeterId),
    ts: Type.Optional(Timestamp),
    field: Type.String({ minLength: 1, maxLength: 64 }),
    value: Type.Union([Type.Number(), Type.Boolean()]),
    reason: Type.Optional(Reason),
    expiresAt: Type.Optional(ExpiresAt),
  },
  { additionalProperties: false, $id: 'SetCommand' },
);
export type SetCommand = Static<typeof SetCommand>;

/** `cmd/read`: poll the meter now; the reading goes out on the reading topic as usual. */
export const ReadCommand = Type.Object(
  {
    v: Version,
    id: CommandId,
    meter: Type.Optional(MeterId),
    ts: Type.Optional(Timestamp),
    reason: Type.Optional(Reason),
    expiresAt: Type.Optional(ExpiresAt),
  },
  { additionalProperties: false, $id: 'ReadCommand' },
);
export type ReadCommand = Static<typeof ReadCommand>;

export const COMMAND_SCHEMAS = {
  token: TokenCommand,
  relay: RelayCommand,
  set: SetCommand,
  read: ReadCommand,
} as const;
export type CommandName = keyof typeof COMMAND_SCHEMAS;
