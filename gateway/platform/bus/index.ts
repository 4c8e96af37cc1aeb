export {
  topicMatches,
  type MessageBus,
  type BusMessage,
  type BusHandler,
  type SubscribeOptions,
  type PublishOptions,
} from './message-bus.js';
export { MqttBus, type MqttBusOptions } from './mqtt-bus.js';
