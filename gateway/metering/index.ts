// The metering domain's public entry: other domains and the composition root import only this file.
export * from './analytics/index.js';
export * from './commands/index.js';
export * from './estimation/index.js';
export * from './ingest/index.js';
export * from './live/index.js';
export * from './meters/index.js';
export * from './readings/index.js';
export * from './rollups/index.js';
export * from './self-readings/index.js';
