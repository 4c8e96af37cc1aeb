export { dashboardsPlugin, DEFAULT_WEB_ROOT, type DashboardsPluginOptions } from './plugin.js';
export { GRAFANA_DIR } from './grafana/index.js';
export { DashboardsError, DashboardsErrorCodes, type DashboardsErrorCode } from './errors.js';
