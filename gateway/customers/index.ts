// The customers domain's public entry: other domains and the composition root import only this file.
export * from './dashboard-api/index.js';
export * from './exports/index.js';
