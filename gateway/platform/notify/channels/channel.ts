import type { Language } from '../templates.js';

export const CHANNEL_NAMES = ['webhook', 'sms', 'email'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

/** A file sent with an e-mail (a bill's PDF). */
export interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface OutgoingMessage {
  /** The outbox's dedupe key (or the message id): the receiving side can drop a duplicate by it. */
  idempotencyKey: string;
  /** The customer it is for, when known (webhook body). */
  customerId?: string;
  /** The template it was rendered from (`low_credit`, `bill_issued` …). */
  kind: string;
  language: Language;
  subject: string;
  text: string;
  /** The structured notification (webhook body). */
  params: Record<string, unknown>;
  attachments?: Attachment[];
}

/** Where a customer is reached on one channel (from their preferences). */
export interface ChannelAddress {
  /** Webhook URL, phone number (E.164) or e-mail address. */
  to: string;
  /** Webhook only: the customer's signing secret (never logged, returned or stored in the outbox). */
  secret?: string;
}

/** One delivery channel; send() resolves when the peer accepted the message, throws otherwise. */
export interface NotificationChannel {
  readonly name: ChannelName;
  send(message: OutgoingMessage, address: ChannelAddress): Promise<void>;
}
