import type { WriteRequest } from './exchange.js';
import type { ReadRequest, ReadResult } from './pdu.js';

export type TransportSource = 'modbus-tcp' | 'modbus-rtu';

export interface ReadOptions {
  /** Per-request response timeout; a transport always applies one (its default when absent). */
  readonly timeoutMs?: number;
  /**
   * TCP: consecutive timeouts of this unit after which it counts as silent; the shared connection
   * is reopened only once every unit seen on it is silent (0 = this unit never counts). Default 3.
   */
  readonly reconnectAfterTimeouts?: number;
}

/**
 * One Modbus master link (a TCP connection to a device or gateway, or one serial line). The swappable
 * backend interface of STYLE.md §3: `tcp-transport.ts` and `rtu-transport.ts` are the reference
 * implementations and `transport-conformance.ts` is the suite both run.
 *
 * `read` never throws for anything a device sends or fails to send: every outcome is a ReadResult.
 */
export interface ModbusTransport {
  readonly source: TransportSource;
  start(): Promise<void>;
  stop(): Promise<void>;
  read(req: ReadRequest, opts?: ReadOptions): Promise<ReadResult>;
  /** FC 5/6/15/16/23; a write answer is checked against the request (echo, length). */
  write(req: WriteRequest, opts?: ReadOptions): Promise<ReadResult>;
  /** Counters for metrics: frames discarded as garbage, stale or corrupt. */
  readonly stats: TransportStats;
}

export interface TransportStats {
  requests: number;
  timeouts: number;
  discardedBytes: number;
  discardedFrames: number;
  reconnects: number;
}

export function newTransportStats(): TransportStats {
  return { requests: 0, timeouts: 0, discardedBytes: 0, discardedFrames: 0, reconnects: 0 };
}
