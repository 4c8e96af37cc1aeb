export { ProtocolError, ProtocolErrorCodes, type ProtocolErrorCode } from './errors.js';
export { parseIsoDateTime, parseIsoDate, isIsoDay } from './iso-time.js';
export {
  Obis,
  OBIS_CODE_PATTERN,
  lookupObis,
  obisEntries,
  isConsumptionRegister,
  type ObisEntry,
  type ObisKind,
  type Medium,
} from './obis.js';
export {
  TopicScheme,
  DEFAULT_TOPIC_PREFIX,
  ID_PATTERN,
  isValidId,
  type ParsedTopic,
  type TopicKind,
} from './topics.js';
export * from './schemas/common.js';
export { Reading, READING_QUALITIES, READING_SOURCES, MAX_VALUES_PER_READING } from './schemas/reading.js';
export { MeterEvent, EVENT_KINDS, COMMAND_OUTCOMES } from './schemas/event.js';
export { MeterState, MeterLocation, EdgeState } from './schemas/state.js';
export {
  TokenCommand,
  RelayCommand,
  SetCommand,
  ReadCommand,
  COMMAND_SCHEMAS,
  type CommandName,
} from './schemas/command.js';
export {
  decodePayload,
  decodeReading,
  validatePayload,
  commandKind,
  PAYLOAD_SCHEMAS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type PayloadKind,
  type Payload,
  type DecodeResult,
  type DecodeOptions,
  type FieldError,
} from './validate.js';
