export { LiveHub, type LiveMessage, type LiveListener } from './live-hub.js';
export { livePlugin, type LivePluginOptions } from './live-plugin.js';
