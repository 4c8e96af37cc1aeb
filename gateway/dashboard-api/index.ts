export { dashboardApiPlugin, type DashboardApiPluginOptions } from './plugin.js';
export { DashboardApiErrorCodes, type DashboardApiErrorCode } from './errors.js';
