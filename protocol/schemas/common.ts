import { Type } from '@sinclair/typebox';
import { ID_PATTERN } from '../topics.js';

/** Schema version carried in every payload (`v`), so a future v2 can be told apart on the same topics. */
export const PAYLOAD_VERSION = 1;

export const Version = Type.Literal(PAYLOAD_VERSION, { description: 'payload schema version' });

export const MeterId = Type.String({
  pattern: ID_PATTERN,
  maxLength: 64,
  description: 'meter id (one topic level)',
});
export const EdgeId = Type.String({
  pattern: ID_PATTERN,
  maxLength: 64,
  description: 'edge id (one topic level)',
});

// RFC 3339 timestamp with an explicit offset; a calendar check follows the pattern in validate.ts.
export const TIMESTAMP_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
export const Timestamp = Type.String({
  pattern: TIMESTAMP_PATTERN,
  maxLength: 35,
  description: 'RFC 3339 timestamp, e.g. 2026-11-22T10:15:00.000Z',
});

/** Magnitude bound on every measured number: far above any real register, far below float precision loss. */
export const MAX_ABS_VALUE = 1e15;
export const Measurement = Type.Number({ minimum: -MAX_ABS_VALUE, maximum: MAX_ABS_VALUE });

export const Sequence = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** The 20-digit STS token as typed on a keypad (IEC 62055-41). */
export const TokenDigits = Type.String({ pattern: '^[0-9]{20}$', description: '20-digit STS token' });
