export { metersPlugin, type MetersPluginOptions } from './meters-plugin.js';
