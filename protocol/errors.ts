/**
 * Stable error codes of the protocol module. Codes are never reused once retired: clients and logs
 * key on them.
 */
export const ProtocolErrorCodes = {
  MG_ERR_PROTOCOL_TOPIC: 'topic does not match the metergate topic scheme',
  MG_ERR_PROTOCOL_ID: 'meter or edge id is not a valid topic level',
  MG_ERR_PROTOCOL_TOO_LARGE: 'payload exceeds the maximum size',
  MG_ERR_PROTOCOL_JSON: 'payload is not valid JSON',
  MG_ERR_PROTOCOL_SCHEMA: 'payload breaks the schema',
  MG_ERR_PROTOCOL_OBIS: 'unknown or non-numeric OBIS code',
} as const;

export type ProtocolErrorCode = keyof typeof ProtocolErrorCodes;

/** Thrown on API misuse (e.g. building a topic from an invalid id); untrusted input gets a tagged result instead. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, detail: string) {
    super(`${ProtocolErrorCodes[code]}: ${detail}`);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
