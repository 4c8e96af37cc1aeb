/** Stable error codes of the dashboard API (STYLE.md §2). */
export const DashboardApiErrorCodes = {
  unknownMeter: 'MG_ERR_DASHBOARD_UNKNOWN_METER',
} as const;
export type DashboardApiErrorCode = (typeof DashboardApiErrorCodes)[keyof typeof DashboardApiErrorCodes];
