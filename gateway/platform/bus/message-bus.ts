/** One MQTT message as the gateway sees it. */
export interface BusMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Redelivery of a message the broker had sent before (MQTT DUP flag). */
  duplicate: boolean;
  /**
   * Release the PUBACK for this message (subscriptions with `manualAck`). Until every earlier message
   * is acknowledged too, the PUBACK waits: acknowledgements leave in arrival order [MQTT-4.6.0-2].
   * A no-op for QoS 0 and after the connection the message came on is gone (the broker redelivers).
   */
  ack(): void;
}

export type BusHandler = (message: BusMessage) => void | Promise<void>;

export interface SubscribeOptions {
  qos?: 0 | 1;
  /**
   * The handler calls `message.ack()` once the message is durable; the broker keeps (and after a
   * reconnect redelivers) everything not acknowledged. Without it, the ack follows the handler.
   */
  manualAck?: boolean;
  /** MQTT 5 shared subscription group: several gateway workers split the stream [MQTT-4.8.2]. */
  shareGroup?: string;
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

/**
 * The gateway's only way to MQTT (the gateway may not import broker/): an external broker or the
 * embedded one's loopback port. VENDING publishes cmd/token and listens to events through it.
 */
export interface MessageBus {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Negotiated protocol level: 5 (MQTT 5, shared subscriptions) or 4 (MQTT 3.1.1). */
  readonly protocolVersion: 4 | 5;
  readonly connected: boolean;
  subscribe(filter: string, handler: BusHandler, options?: SubscribeOptions): Promise<void>;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  /** Hold back reading from the socket while the consumer's buffer is full (bounded buffer). */
  setPaused(paused: boolean): void;
}

/** MQTT topic filter match (`+` one level, `#` the rest) [MQTT-4.7.1]. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
