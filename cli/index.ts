export { main, buildProgram, defaultContext } from './main.js';
export type { CliContext } from './context.js';
export { loadConfig, resolveConfig, ConfigError, MetergateConfig } from './config/index.js';
export { createLogger, type Logger } from './logger.js';
