/**
 * Stable error codes of the simulators. Codes are never reused once retired. Thrown on misuse and
 * on unusable configuration; bytes from a client never throw, they are answered or dropped.
 */
export const SimulatorErrorCodes = {
  MG_ERR_SIM_CONFIG: 'invalid simulator configuration',
  MG_ERR_SIM_STATE: 'simulator used in the wrong lifecycle state',
  MG_ERR_SIM_LISTEN: 'cannot open the simulator endpoint',
} as const;

export type SimulatorErrorCode = keyof typeof SimulatorErrorCodes;

export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;
  constructor(code: SimulatorErrorCode, detail: string) {
    super(`${SimulatorErrorCodes[code]}: ${detail}`);
    this.name = 'SimulatorError';
    this.code = code;
  }
}
