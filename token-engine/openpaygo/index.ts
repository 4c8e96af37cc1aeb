/**
 * OpenPAYGO Token (EnAccess open standard for pay-as-you-go devices), the second token engine
 * beside STS: encode (server), decode (device, pure), a stateful device decoder, and the JSON-line
 * form of `metergate token openpaygo`.
 */
export * from './constants.js';
export {
  openPaygoKeyFromHex,
  startingCodeFromKey,
  nextCount as openPaygoNextCount,
  type OpenPaygoKey,
} from './shared.js';
export { encodeOpenPaygoToken, type OpenPaygoEncodeRequest, type OpenPaygoEncoded } from './encode.js';
export {
  decodeOpenPaygoToken,
  typeAt as openPaygoTypeAt,
  type OpenPaygoDecoded,
  type OpenPaygoDecodeOptions,
  type OpenPaygoDeviceState,
} from './decode.js';
export {
  OpenPaygoDecoder,
  type OpenPaygoDecoderOptions,
  type OpenPaygoDecoderSnapshot,
} from './device-decoder.js';
export { openPaygoLine, openPaygoRequestFromLine, type OpenPaygoLine } from './line.js';
