export { dashboardApiPlugin, type DashboardApiPluginOptions } from './plugin.js';
