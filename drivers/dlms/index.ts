/**
 * DLMS/COSEM (IEC 62056-5-3 / 6-1 / 6-2 / 46 / 47): codecs, transports and the LN client. Written
 * from the standards; there is no DLMS library on npm.
 */
export {
  DlmsError,
  DlmsErrorCodes,
  DATA_ACCESS_RESULT,
  ACTION_RESULT,
  type DlmsErrorCode,
} from './errors.js';
export {
  ByteReader as DlmsByteReader,
  ByteWriter as DlmsByteWriter,
  hex as dlmsHex,
  fromHex as dlmsFromHex,
} from './bytes.js';
export {
  decodeData as decodeDlmsData,
  decodeDataBytes as decodeDlmsDataBytes,
  encodeData as encodeDlmsData,
  encodeDataBytes as encodeDlmsDataBytes,
  D as DlmsValue,
  DATA_TAG as DLMS_DATA_TAG,
  type DlmsData,
} from './axdr.js';
export {
  encodeDateTime as encodeDlmsDateTime,
  decodeDateTime as decodeDlmsDateTime,
  dateTimeToIso as dlmsDateTimeToIso,
} from './date-time.js';
export {
  parseObis,
  formatObis,
  toReadingObis,
  parseObjectRef,
  defaultClassFor,
  type ObjectRef,
} from './obis.js';
export { encodeWrapper, WrapperSplitter, decodeWrapper, WRAPPER_HEADER } from './wrapper.js';
export {
  crc16x25,
  encodeFrame as encodeHdlcFrame,
  decodeFrame as decodeHdlcFrame,
  HdlcSplitter,
  encodeParameters as encodeHdlcParameters,
  decodeParameters as decodeHdlcParameters,
  LLC_REQUEST,
  LLC_RESPONSE,
  type HdlcAddress,
  type HdlcFrame,
  type HdlcParameters,
} from './hdlc-frame.js';
export {
  encodeAarq,
  decodeAarq,
  encodeAare,
  decodeAare,
  encodeRlrq,
  decodeRlrq,
  encodeRlre,
  decodeRlre,
  encodeInitiateRequest,
  decodeInitiateRequest,
  encodeInitiateResponse,
  decodeInitiateResponse,
  conformanceNames,
  conformanceBit,
  CONTEXT_LN,
  CONTEXT_LN_CIPHERED,
  MECHANISM_LLS,
  MECHANISM_HLS_GMAC,
  type Aarq,
  type Aare,
  type InitiateRequest,
  type InitiateResponse,
} from './acse.js';
export {
  encodeXdlms,
  decodeXdlms,
  TAG as XDLMS_TAG,
  type XdlmsApdu,
  type AttributeDescriptor,
  type AccessSelection,
  type GetResult,
} from './xdlms.js';
export {
  protect as dlmsProtect,
  unprotect as dlmsUnprotect,
  gmacResponse,
  verifyGmacResponse,
  decodeCiphered,
  encodeGeneralCiphering,
  encodeServiceCiphering,
  isCiphered,
  GLO_TAG,
  DED_TAG,
  type CipherKeys,
} from './security.js';
export { byEntry, byRange, CLOCK_LN } from './selective-access.js';
export { plainJson, contractJson, printableText, type Json } from './cosem-json.js';
export {
  DLMS_UNITS,
  scalerUnitOf,
  numericValue,
  toReadingValue,
  rowTime,
  powerEventOf,
  STANDARD_EVENT_CODE_OBIS,
  DLMS_EVENT_POWER_DOWN,
  DLMS_EVENT_POWER_UP,
  type PowerEventKind,
  type ScalerUnit,
} from './cosem-readings.js';
export { connectTcp, openSerial, streamLink, UnitQueue, type ByteLink } from './link.js';
export { WrapperTransport, HdlcTransport, type DlmsTransport, type HdlcOptions } from './transport.js';
export {
  DlmsClient,
  DEFAULT_CONFORMANCE,
  DEFAULT_CONFORMANCE_CIPHERED,
  type DlmsAuth,
  type DlmsClientOptions,
  type ReleaseStyle,
} from './client.js';
export {
  openSession,
  readInvocationCounter,
  DEFAULT_CLIENT_SAP,
  type Session,
  type SessionOptions,
} from './session.js';
export {
  DlmsEdgeReader,
  DEFAULT_OBJECTS as DLMS_DEFAULT_OBJECTS,
  type DlmsEdgeReaderOptions,
  type DlmsPollResult,
} from './edge-reader.js';
export {
  DlmsPushListener,
  pushValues,
  pushPowerEvent,
  type PushEvent,
  type PushListenerOptions,
} from './push-listener.js';
