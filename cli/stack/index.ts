export { gatewayFromConfig, type GatewayFromConfigOptions } from './gateway-from-config.js';
export { securityModuleFor } from './master-key.js';
export { runUntilSignal, watchSignals, STOP_GRACE_MS, type SignalWatch } from './run-until-signal.js';
