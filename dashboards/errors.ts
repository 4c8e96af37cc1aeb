/** Stable error codes of the dashboards module (STYLE.md §2). */
export const DashboardsErrorCodes = {
  MG_ERR_DASHBOARDS_ROOT: 'the dashboards web root does not exist or has no index.html',
  MG_ERR_DASHBOARDS_VENDOR: 'a browser dependency is not installed (run npm ci)',
} as const;
export type DashboardsErrorCode = keyof typeof DashboardsErrorCodes;

export class DashboardsError extends Error {
  readonly code: DashboardsErrorCode;
  constructor(code: DashboardsErrorCode, detail: string) {
    super(`${DashboardsErrorCodes[code]}: ${detail}`);
    this.name = 'DashboardsError';
    this.code = code;
  }
}
