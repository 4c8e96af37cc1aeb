/** Stable error codes of the ingest pipeline (STYLE.md: MG_ERR_<AREA>_<WHAT>, never reused). */
export const IngestErrorCodes = {
  /** The topic is not a reading/event topic of our scheme. */
  topic: 'MG_ERR_INGEST_TOPIC',
  /** The payload's meter differs from the topic's meter. */
  meterMismatch: 'MG_ERR_INGEST_METER_MISMATCH',
} as const;
export type IngestErrorCode = (typeof IngestErrorCodes)[keyof typeof IngestErrorCodes];
