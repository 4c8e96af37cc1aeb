export {
  MessageOutbox,
  validateOutboxMessage,
  type MessageOutboxOptions,
  type OutboxMessageInput,
  type OutboxListItem,
  type OutboxMessageDetail,
  type OutboxStatus,
} from './message-outbox.js';
export { outboxPlugin, type OutboxPluginOptions } from './routes.js';
export { SmsTestSink } from './sms-test-sink.js';
export { OUTBOX_ERRORS, type OutboxErrorCode } from './errors.js';
