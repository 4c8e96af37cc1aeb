import type { Language, NotificationKind } from '../templates.js';

export const CHANNEL_NAMES = ['webhook', 'sms', 'email'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

export interface OutgoingMessage {
  idempotencyKey: string;
  customerId: string;
  kind: NotificationKind;
  language: Language;
  subject: string;
  text: string;
  /** The structured notification (webhook body). */
  params: Record<string, string | number>;
}

/** Where a customer is reached on one channel (from their preferences). */
export interface ChannelAddress {
  /** Webhook URL, phone number (E.164) or e-mail address. */
  to: string;
  /** Webhook only: the customer's signing secret (never logged or returned). */
  secret?: string;
}

/** One delivery channel; send() resolves when the peer accepted the message, throws otherwise. */
export interface NotificationChannel {
  readonly name: ChannelName;
  send(message: OutgoingMessage, address: ChannelAddress): Promise<void>;
}
