/**
 * Stable error codes of the broker module. Codes are never reused once retired: logs, metrics and
 * operators key on them.
 */
export const BrokerErrorCodes = {
  MG_ERR_BROKER_CONFIG: 'broker options are invalid',
  MG_ERR_BROKER_CREDENTIALS: 'credentials file is invalid',
  MG_ERR_BROKER_CA: 'device CA operation failed',
  MG_ERR_BROKER_LISTEN: 'a broker listener could not start',
  MG_ERR_BROKER_STATE: 'broker lifecycle misuse',
  MG_ERR_BROKER_STORE: 'durable session store failed',
} as const;

export type BrokerErrorCode = keyof typeof BrokerErrorCodes;

/** Thrown on misuse and bad configuration; untrusted network input gets a tagged result instead. */
export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  constructor(code: BrokerErrorCode, detail: string) {
    super(`${BrokerErrorCodes[code]}: ${detail}`);
    this.name = 'BrokerError';
    this.code = code;
  }
}

/**
 * Why a client or a packet was refused; the label of the refusals metric and the `reason` field of
 * every refusal log line. A closed set so dashboards can rely on it.
 */
export const REFUSAL_REASONS = [
  'anonymous',
  'bad-credentials',
  'unknown-user',
  'bad-certificate',
  'revoked-certificate',
  'certificate-mismatch',
  'client-id-taken',
  'rate-limited',
  'max-connections',
  'keepalive',
  'packet-too-large',
  'payload-too-large',
  'too-many-levels',
  'acl-publish',
  'acl-subscribe',
  'retained-refused',
  'slow-consumer',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
