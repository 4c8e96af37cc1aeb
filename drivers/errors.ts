/**
 * Stable error codes of the edge drivers (transports, outbox, scheduler, edge config). Codes are never
 * reused once retired. Thrown only on API misuse or unusable configuration; bytes from a meter or a
 * broker never throw, they become tagged results (`{ ok: false, reason }`).
 */
export const DriverErrorCodes = {
  MG_ERR_DRIVER_CONFIG: 'invalid edge configuration',
  MG_ERR_DRIVER_NOT_STARTED: 'component used before start() or after stop()',
  MG_ERR_DRIVER_QUEUE_FULL: 'request queue is full',
  MG_ERR_DRIVER_OUTBOX_IO: 'outbox storage failure',
  MG_ERR_DRIVER_REQUEST: 'invalid Modbus request',
} as const;

export type DriverErrorCode = keyof typeof DriverErrorCodes;

export class DriverError extends Error {
  readonly code: DriverErrorCode;
  constructor(code: DriverErrorCode, detail: string) {
    super(`${DriverErrorCodes[code]}: ${detail}`);
    this.name = 'DriverError';
    this.code = code;
  }
}
