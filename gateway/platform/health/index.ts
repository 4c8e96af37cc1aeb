export { healthPlugin, HealthReport, type HealthPluginOptions } from './health-plugin.js';
