export { DlmsMeter, serverTitle, type DlmsMeterOptions, type CosemObject } from './dlms-meter.js';
export { MeterEnergy, YEAR_SLOTS } from './meter-energy.js';
export { DlmsServer, type DlmsServerOptions, type DlmsFaults, type DlmsSimTransport } from './dlms-server.js';
export {
  ServerAssociation,
  PUBLIC_CLIENT,
  LLS_CLIENT,
  HLS_CLIENT,
  type ServerSecurity,
} from './server-association.js';
export {
  DlmsSimulator,
  DEFAULT_DLMS_KEYS,
  DEFAULT_DLMS_PASSWORD,
  type DlmsSimulatorOptions,
} from './dlms-simulator.js';
export { eventNotification, pushNotification, pushOnce, PUSH_OBJECTS } from './push-client.js';
