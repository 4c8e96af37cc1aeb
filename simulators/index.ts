/**
 * Meter simulators: deterministic load model, Modbus TCP/RTU and IEC 62056-21 servers with fault
 * injection, fleets from a config file, and fast-forward daily history for analytics fixtures.
 */
export { SimulatorError, SimulatorErrorCodes, type SimulatorErrorCode } from './errors.js';
export {
  LoadProfile,
  PROFILE_KINDS,
  SLOT_MS,
  DAY_MS,
  type ProfileKind,
  type LoadProfileOptions,
} from './model/load-profile.js';
export { SimClock, type Clock, type SimClockOptions } from './model/clock.js';
export { ANOMALY_KINDS, anomalyStateAt, type Anomaly, type AnomalyState } from './model/anomalies.js';
export { advance, effectivePower, type RegisterSnapshot } from './model/energy-register.js';
export {
  electricalAt,
  NOMINAL_VOLTAGE,
  NOMINAL_FREQUENCY,
  type Electrical,
  type PhaseValues,
} from './model/electrical.js';
export { dailyHistory, type DailyHistoryOptions, type DailyConsumption } from './model/daily-history.js';
export { fleetHistory, type FleetHistoryOptions, type MeterHistory } from './model/fleet-history.js';
export {
  FaultInjector,
  FAULT_KINDS,
  NO_FAULT,
  type FaultKind,
  type FaultSpec,
  type FaultDecision,
  type FaultInjectorOptions,
} from './model/faults.js';
export {
  SimulatedMeter,
  ModbusException,
  MAX_READ_QUANTITY,
  REFRESH_MS,
  type SimulatedMeterOptions,
  type RegisterRead,
} from './model/simulated-meter.js';
export {
  ModbusTcpSimulator,
  type ModbusTcpSimulatorOptions,
  type ModbusServerStats,
} from './modbus/tcp-server.js';
export {
  ModbusRtuSimulator,
  type ModbusRtuSimulatorOptions,
  type RtuServerStats,
} from './modbus/rtu-server.js';
export { crc16Modbus, withCrc, crcOk } from './modbus/crc16.js';
export { bitsPerChar, charTimeMs, t35Ms, exchangeTimeMs, type LineSettings } from './modbus/rtu-timing.js';
export { Iec62056Simulator, type Iec62056SimulatorOptions } from './iec62056/iec-server.js';
export { bcc, dataLines, readoutMessage, MODE_C_BAUDS } from './iec62056/readout.js';
export {
  parseFleetConfig,
  parseHostPort,
  RTU_BAUDS,
  IEC_BAUDS,
  type FleetConfig,
  type MeterGroup,
  type TcpEndpoint,
  type RtuEndpoint,
  type IecEndpoint,
  type ParseResult,
} from './fleet/fleet-config.js';
export {
  FleetRunner,
  type FleetRunnerOptions,
  type FleetServer,
  type ServedEndpoint,
} from './fleet/fleet-runner.js';
export { openPtyPair, type PtyPair } from './testing/pty-pair.js';
export { MqttPrepaidMeter, type MqttPrepaidMeterOptions, type PrepaidEntryResult } from './prepaid/index.js';
export {
  PaygDevice,
  type PaygDeviceOptions,
  type PaygDeviceSnapshot,
  type PaygEntryResult,
  type PaygStatus,
} from './payg/index.js';
export * from './dlms/index.js';
