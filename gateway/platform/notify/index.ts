export { NOTIFY_MIGRATIONS } from './migrations.js';
export { NotifyError, NOTIFY_ERRORS, type NotifyErrorCode } from './errors.js';
export {
  LANGUAGES,
  NOTIFICATION_KINDS,
  renderMessage,
  instalmentSentence,
  isLanguage,
  isNotificationKind,
  type Language,
  type NotificationKind,
} from './templates.js';
export {
  CHANNEL_NAMES,
  type ChannelName,
  type NotificationChannel,
  type OutgoingMessage,
  type ChannelAddress,
} from './channels/channel.js';
export {
  WebhookChannel,
  signWebhook,
  verifyWebhook,
  SIGNATURE_HEADER,
  IDEMPOTENCY_HEADER,
} from './channels/webhook.js';
export { SmsGatewayChannel, type SmsGatewayOptions } from './channels/sms.js';
export { EmailChannel, type SmtpOptions } from './channels/email.js';
export {
  SqlPreferencesStore,
  validatePreferences,
  type NotificationPreferences,
  type PublicPreferences,
} from './preferences.js';
export { Notifier, type Notification, type NotifierOptions, type DeliveryReport } from './notifier.js';
export { registerNotificationHandler, enqueueNotification, parseNotification } from './notification-jobs.js';
export { notifyPlugin, type NotifyPluginOptions } from './routes.js';
export { LowCreditAlerts, type LowCreditAlertsOptions } from './low-credit-alerts.js';
export {
  MessageOutbox,
  SmsTestSink,
  outboxPlugin,
  validateOutboxMessage,
  OUTBOX_ERRORS,
  type MessageOutboxOptions,
  type OutboxMessageInput,
  type OutboxListItem,
  type OutboxMessageDetail,
  type OutboxStatus,
  type OutboxPluginOptions,
  type OutboxErrorCode,
} from './outbox/index.js';
export type { Attachment } from './channels/channel.js';
