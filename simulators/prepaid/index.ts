export {
  MqttPrepaidMeter,
  type MqttPrepaidMeterOptions,
  type PrepaidEntryResult,
} from './mqtt-prepaid-meter.js';
