export { dashboardApiPlugin, type DashboardApiPluginOptions } from './plugin.js';
export { DashboardApiErrorCodes } from './meter-tokens.js';
