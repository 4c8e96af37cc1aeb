export { GatewayStack, type GatewayStackOptions } from './gateway-stack.js';
export { securityModuleFor } from './master-key.js';
