import type { Client } from 'aedes';

/**
 * Refuse an MQTT packet by its declared length, before its body is buffered.
 *
 * aedes 1.2 creates each client's mqtt-packet parser without options and exposes no packet-size
 * limit; the parser buffers a packet's whole Remaining Length (up to 256 MiB, [MQTT-2.2.3]) before
 * aedes sees it, so a size check in authorizePublish comes after the memory is spent. No library
 * offers this hook, so we wrap the parser's length step on this one client instance: once the
 * Remaining Length is decoded and exceeds the limit, the parser raises a protocol error, which aedes
 * turns into closing that client (other clients are untouched).
 *
 * Returns false when the parser internals are not what we expect (an aedes/mqtt-packet upgrade);
 * broker.test.ts fails loudly in that case, and authorizePublish still checks the payload size.
 */
interface ParserInternals {
  packet: { length: number; cmd?: string };
  _parseLength: () => boolean;
  _emitError: (err: Error) => void;
}

export const PACKET_TOO_LARGE = 'packet exceeds the broker maximum size';

export function installPacketSizeGuard(
  client: Client,
  maxBytes: number,
  onRefuse: (declaredBytes: number, cmd: string | undefined) => void,
): boolean {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function')
    return false;
  const parseLength = parser._parseLength;
  parser._parseLength = function guardedParseLength(this: ParserInternals): boolean {
    const complete = parseLength.call(this);
    if (complete && this.packet.length > maxBytes) {
      onRefuse(this.packet.length, this.packet.cmd);
      this._emitError(new Error(`${PACKET_TOO_LARGE} (${this.packet.length} > ${maxBytes} bytes)`));
      return false;
    }
    return complete;
  };
  return true;
}
