export { metricsPlugin, type MetricsPluginOptions } from './metrics-plugin.js';
