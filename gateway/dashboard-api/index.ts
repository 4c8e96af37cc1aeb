export { dashboardApiPlugin } from './plugin.js';
