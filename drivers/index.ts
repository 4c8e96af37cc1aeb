export * from './catalogue/index.js';
export { DriverError, DriverErrorCodes, type DriverErrorCode } from './errors.js';
export { crc16Modbus, withCrc, crcValid } from './modbus/crc16.js';
export {
  MAX_READ_REGISTERS as MODBUS_MAX_READ_REGISTERS,
  EXCEPTION_NAMES,
  encodeReadPdu,
  decodeReadResponsePdu,
  type ReadRequest,
  type ReadResult,
  type ReadFailureKind,
} from './modbus/pdu.js';
export type { ModbusTransport, ReadOptions, TransportSource, TransportStats } from './modbus/transport.js';
export { TcpTransport, type TcpTransportOptions } from './modbus/tcp-transport.js';
export { RtuTransport, type RtuTransportOptions, type Parity } from './modbus/rtu-transport.js';
export { scanRtuResponse } from './modbus/rtu-framer.js';
export {
  BITS_PER_CHAR,
  charTimeMs,
  t35Ms,
  minCycleMs,
  readResponseBytes,
  READ_REQUEST_BYTES,
} from './modbus/rtu-timing.js';
export { LineQueue, sleepPrecise, type LineQueueOptions } from './line-queue.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export {
  parseIdentification,
  parseDataMessage,
  toObisValues,
  bcc,
  ackOptionSelect,
  requestMessage,
  MODE_C_BAUD,
  type Identification,
  type DataSet,
} from './iec62056/readout.js';
export { IecClient, type IecClientOptions } from './iec62056/client.js';
export type { Outbox, OutboxEntry, OutboxStats, DropReason } from './outbox/outbox.js';
export { FileOutbox, type FileOutboxOptions } from './outbox/file-outbox.js';
export { MqttPublisher, type PublisherOptions } from './edge/publisher.js';
export { PollScheduler, type ScheduledMeter, type SchedulerOptions } from './edge/scheduler.js';
export { ModbusReader, type ModbusReaderOptions } from './edge/modbus-reader.js';
export type { MeterReader, PollResult } from './edge/meter-reader.js';
export { EdgeMetrics } from './edge/metrics.js';
export { SeqStore } from './edge/seq-store.js';
export { Edge, type EdgeOptions } from './edge/edge.js';
export { mosquittoEdgeAcl, type EdgeAclOptions } from './edge/mosquitto-acl.js';
export {
  EdgeConfig,
  MeterConfig,
  validateEdgeConfig,
  loadEdgeConfig,
  type ConfigResult,
} from './edge/config.js';
export * from './dlms/index.js';
