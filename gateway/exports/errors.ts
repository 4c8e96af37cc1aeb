/** Stable error codes of the export routes (STYLE.md §2). */
export const ExportsErrorCodes = {
  meterNotFound: 'MG_ERR_EXPORTS_METER_NOT_FOUND',
  badRange: 'MG_ERR_EXPORTS_BAD_RANGE',
} as const;
export type ExportsErrorCode = (typeof ExportsErrorCodes)[keyof typeof ExportsErrorCodes];
