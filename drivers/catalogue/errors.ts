/**
 * Stable error codes of the register-map catalogue. Codes are never reused once retired: tests, logs
 * and operators key on them. Thrown only on misuse (a broken model, a value a register cannot hold);
 * bytes from a device never throw, they decode to `null`.
 */
export const CatalogueErrorCodes = {
  MG_ERR_CATALOGUE_CONFLICT: 'register map conflict',
  MG_ERR_CATALOGUE_POINT: 'invalid register point',
  MG_ERR_CATALOGUE_UNKNOWN_MODEL: 'unknown meter model',
  MG_ERR_CATALOGUE_RANGE: 'value does not fit the register type',
  MG_ERR_CATALOGUE_PLAN: 'invalid read plan or planner options',
} as const;

export type CatalogueErrorCode = keyof typeof CatalogueErrorCodes;

export class CatalogueError extends Error {
  readonly code: CatalogueErrorCode;
  constructor(code: CatalogueErrorCode, detail: string) {
    super(`${CatalogueErrorCodes[code]}: ${detail}`);
    this.name = 'CatalogueError';
    this.code = code;
  }
}
