/**
 * Timed writes shared by the servers: an optional delay before the first byte, then either one write
 * or one byte per `byteDelayMs`. Timers are tracked so stop() can cancel everything in flight.
 */
export interface Pacer {
  readonly timers: Set<NodeJS.Timeout>;
}

export function after(pacer: Pacer, ms: number, fn: () => void): void {
  if (ms <= 0) {
    fn();
    return;
  }
  const t = setTimeout(() => {
    pacer.timers.delete(t);
    fn();
  }, ms);
  pacer.timers.add(t);
}

export function sendPaced(
  pacer: Pacer,
  write: (b: Buffer) => unknown,
  data: Buffer,
  delayMs: number,
  byteDelayMs: number,
): void {
  if (byteDelayMs <= 0) {
    after(pacer, delayMs, () => write(data));
    return;
  }
  const sendByte = (i: number) => {
    if (i >= data.length) return;
    write(data.subarray(i, i + 1));
    after(pacer, byteDelayMs, () => sendByte(i + 1));
  };
  after(pacer, delayMs, () => sendByte(0));
}
