export { loadConfig, resolveConfig, ConfigError } from './load.js';
export { MetergateConfig, ENV_OVERRIDES } from './schema.js';
