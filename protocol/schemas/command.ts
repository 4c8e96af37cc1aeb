import { Type, type Static } from '@sinclair/typebox';
import { MeterId, Timestamp, TokenDigits, Version } from './common.js';

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

/** `cmd/relay`: connect or disconnect the supply. */
export const RelayCommand = Type.Object(
  {
    v: Version,
    id: CommandId,
    meter: MeterId,
    ts: Timestamp,
    relay: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
  },
  { additionalProperties: false, $id: 'RelayCommand' },
);
export type RelayCommand = Static<typeof RelayCommand>;

export const COMMAND_SCHEMAS = { token: TokenCommand, relay: RelayCommand } as const;
export type CommandName = keyof typeof COMMAND_SCHEMAS;
