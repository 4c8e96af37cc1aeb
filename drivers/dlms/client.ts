import { randomBytes } from 'node:crypto';
import {
  CONTEXT_LN,
  CONTEXT_LN_CIPHERED,
  decodeAare,
  decodeInitiateResponse,
  decodeRlre,
  encodeAarq,
  encodeInitiateRequest,
  encodeRlrq,
  MECHANISM_HLS_GMAC,
  MECHANISM_LLS,
  type InitiateResponse,
} from './acse.js';
import { D, decodeDataBytes, type DlmsData } from './axdr.js';
import { concat } from './bytes.js';
import { accessResultName, ACTION_RESULT, DlmsError } from './errors.js';
import {
  decodeCiphered,
  DED_TAG,
  encodeGeneralCiphering,
  encodeServiceCiphering,
  gmacResponse,
  GLO_TAG,
  protect,
  unprotect,
  verifyGmacResponse,
  type CipherKeys,
} from './security.js';
import type { DlmsTransport } from './transport.js';
import {
  decodeXdlms,
  encodeXdlms,
  SERVICE_ERROR,
  STATE_ERROR,
  type AccessSelection,
  type AttributeDescriptor,
  type GetResult,
  type XdlmsApdu,
} from './xdlms.js';

/**
 * A DLMS/COSEM client with logical name referencing (IEC 62056-5-3), written from the Green Book
 * (no DLMS library on npm): association with no security, LLS or HLS-GMAC (mechanism 5, suite 0,
 * the 4-pass exchange of §9.2.7.4), GET normal / with-list / with-datablock, SET, ACTION,
 * selective access, global ciphering, release. Keys are held here and never logged.
 */
export type DlmsAuth = 'none' | 'low' | 'high-gmac';
export type ReleaseStyle = 'none' | 'plain' | 'aarq-values' | 'negotiated-values';

export interface DlmsClientOptions {
  readonly auth: DlmsAuth;
  readonly password?: Uint8Array;
  readonly keys?: CipherKeys;
  /** Our system title (8 bytes), sent as calling-AP-title. */
  readonly systemTitle?: Uint8Array;
  /** First invocation counter for HLS-GMAC (the meter's 0.0.43.1.0.255 value, or above). */
  readonly invocationCounter?: number;
  /** HLS client-to-server challenge; random 32 bytes by default (tests inject a fixed one). */
  readonly challenge?: Uint8Array;
  readonly conformance?: number;
  readonly maxPduSize?: number;
  /** Fixed invoke-ids per service (tests replaying a recording); by default they rotate 1..15. */
  readonly invokeIds?: { get?: number; set?: number; action?: number };
  readonly release?: ReleaseStyle;
  /**
   * Dedicated key (16 bytes) proposed in the InitiateRequest (HLS-GMAC only): the association's
   * xDLMS APDUs are then ded-ciphered (service-specific ded- tags) with it instead of the global EK.
   */
  readonly dedicatedKey?: Uint8Array;
}

export const DEFAULT_CONFORMANCE = 0x20405f;
export const DEFAULT_CONFORMANCE_CIPHERED = 0x60405f;
const ASSOCIATION_LN = Uint8Array.from([0, 0, 40, 0, 0, 255]);
const PRIORITY_CONFIRMED = 0xc0;

export interface AssociationInfo {
  readonly negotiated: InitiateResponse;
  readonly serverSystemTitle?: Uint8Array;
}

export class DlmsClient {
  private ic: number;
  private rotating = 0;
  private serverTitle: Uint8Array | undefined;
  private info: AssociationInfo | undefined;
  private authenticated = false;
  private readonly title: Uint8Array;
  private readonly challenge: Uint8Array;

  constructor(
    readonly transport: DlmsTransport,
    private readonly options: DlmsClientOptions,
  ) {
    this.title = options.systemTitle ?? Buffer.from('MGATE001', 'latin1');
    this.ic = options.invocationCounter ?? 0;
    this.challenge = options.challenge ?? randomBytes(32);
    if (options.auth === 'high-gmac' && !options.keys)
      throw new DlmsError(
        'MG_ERR_DLMS_USAGE',
        'HLS-GMAC needs the block cipher key and the authentication key',
      );
    if (options.auth === 'low' && !options.password)
      throw new DlmsError('MG_ERR_DLMS_USAGE', 'LLS needs a password');
  }

  get ciphered(): boolean {
    return this.options.auth === 'high-gmac';
  }

  get association(): AssociationInfo | undefined {
    return this.info;
  }

  /** The next invocation counter this client will use (persist it between sessions). */
  get invocationCounter(): number {
    return this.ic;
  }

  private initiateRequest(conformance?: number, maxPdu?: number, withKey = false): Uint8Array {
    return encodeInitiateRequest({
      dedicatedKey: withKey && this.ciphered ? this.options.dedicatedKey : undefined,
      version: 6,
      conformance:
        conformance ??
        this.options.conformance ??
        (this.ciphered ? DEFAULT_CONFORMANCE_CIPHERED : DEFAULT_CONFORMANCE),
      maxPduSize: maxPdu ?? this.options.maxPduSize ?? 0xffff,
    });
  }

  private nextIc(): number {
    const v = this.ic;
    this.ic = (this.ic + 1) >>> 0;
    return v;
  }

  /** Exceptions and confirmed-service-errors are answers too: they become typed errors. */
  private failOn(apdu: Uint8Array, what: string): void {
    if (apdu[0] === 0xd8 || apdu[0] === 0x0e) {
      const x = decodeXdlms(apdu);
      if (x.kind === 'exception-response') {
        const detail: Record<string, number> = { stateError: x.stateError, serviceError: x.serviceError };
        if (x.invocationCounter !== undefined) detail.expectedInvocationCounter = x.invocationCounter;
        throw new DlmsError(
          'MG_ERR_DLMS_EXCEPTION',
          `${what}: ${STATE_ERROR[x.stateError] ?? x.stateError} / ${SERVICE_ERROR[x.serviceError] ?? x.serviceError}` +
            (x.invocationCounter !== undefined
              ? ` (meter expects invocation counter ≥ ${x.invocationCounter})`
              : ''),
          detail,
        );
      }
      if (x.kind === 'confirmed-service-error')
        throw new DlmsError(
          'MG_ERR_DLMS_SERVICE_ERROR',
          `${what}: service ${x.service} error ${x.errorType}/${x.error}`,
          {
            service: x.service,
            errorType: x.errorType,
            error: x.error,
          },
        );
    }
  }

  async associate(): Promise<AssociationInfo> {
    const plainInit = this.initiateRequest(undefined, undefined, true);
    let userInformation = plainInit;
    if (this.ciphered) {
      const content = protect(plainInit, 0x30, this.title, this.nextIc(), this.options.keys!);
      userInformation = encodeServiceCiphering(GLO_TAG[0x01]!, content);
    }
    const aarq = encodeAarq({
      context: this.ciphered ? CONTEXT_LN_CIPHERED : CONTEXT_LN,
      callingApTitle: this.title,
      mechanism: this.options.auth === 'low' ? MECHANISM_LLS : this.ciphered ? MECHANISM_HLS_GMAC : undefined,
      authValue:
        this.options.auth === 'low' ? this.options.password : this.ciphered ? this.challenge : undefined,
      userInformation,
    });
    const answer = await this.transport.request(aarq);
    this.failOn(answer, 'association');
    if (answer[0] !== 0x61)
      throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `AARQ answered with APDU 0x${answer[0]?.toString(16)}`);
    const aare = decodeAare(answer);
    if (aare.result !== 0) {
      const auth = aare.diagnosticSource === 1 && (aare.diagnostic === 13 || aare.diagnostic === 14);
      throw new DlmsError(
        auth ? 'MG_ERR_DLMS_AUTH' : 'MG_ERR_DLMS_ASSOCIATION',
        `AARE result ${aare.result}, ${aare.diagnosticSource === 1 ? 'acse-service-user' : 'acse-service-provider'} diagnostic ${aare.diagnostic}`,
        { result: aare.result, diagnosticSource: aare.diagnosticSource, diagnostic: aare.diagnostic },
      );
    }
    let ui = aare.userInformation;
    if (!ui) throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'AARE without an InitiateResponse');
    if (this.ciphered) {
      this.serverTitle = aare.respondingApTitle;
      if (!this.serverTitle || this.serverTitle.length !== 8)
        throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'ciphered AARE without an 8-byte responding-AP-title');
      if (ui[0] === 0x28)
        ui = unprotect(decodeCiphered(ui).content, this.serverTitle, this.options.keys!).plain;
    }
    this.failOn(ui, 'association');
    const negotiated = decodeInitiateResponse(ui);
    this.info = { negotiated, serverSystemTitle: this.serverTitle };
    if (this.ciphered) await this.hlsPass34(aare.authValue);
    return this.info;
  }

  /** Passes 3 and 4 (§9.2.7.4): reply_to_HLS_authentication with f(StoC), check the meter's f(CtoS). */
  private async hlsPass34(stoc: Uint8Array | undefined): Promise<void> {
    if (!stoc) throw new DlmsError('MG_ERR_DLMS_AUTH', 'the AARE carries no server challenge');
    const icForReply = this.ic; // the reply uses the counter of the APDU that carries it
    const fStoC = gmacResponse(stoc, this.title, icForReply, this.options.keys!);
    const res = await this.exchange({
      kind: 'action-request-normal',
      iip: this.iip('action'),
      attr: { classId: 15, ln: ASSOCIATION_LN, attribute: 1 },
      params: D.octets(fStoC),
    });
    if (res.kind !== 'action-response-normal')
      throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `HLS reply answered by ${res.kind}`);
    if (res.result !== 0)
      throw new DlmsError(
        'MG_ERR_DLMS_AUTH',
        `the meter rejected f(StoC): ${ACTION_RESULT[res.result] ?? res.result}`,
        {
          actionResult: res.result,
        },
      );
    const r = res.returned;
    if (!r?.ok || r.data.type !== 'octet-string')
      throw new DlmsError('MG_ERR_DLMS_AUTH', 'the meter returned no f(CtoS)');
    verifyGmacResponse(r.data.value, this.challenge, this.serverTitle!, this.options.keys!);
    this.authenticated = true;
  }

  private get dedicatedKeys(): CipherKeys {
    return { ek: this.options.dedicatedKey!, ak: this.options.keys!.ak };
  }

  private iip(service: 'get' | 'set' | 'action'): number {
    const fixed = this.options.invokeIds?.[service];
    if (fixed !== undefined) return PRIORITY_CONFIRMED | (fixed & 0x0f);
    this.rotating = (this.rotating % 15) + 1;
    return PRIORITY_CONFIRMED | this.rotating;
  }

  /** Send one xDLMS request (ciphered when the association is) and decode the answer. */
  async exchange(req: XdlmsApdu): Promise<XdlmsApdu> {
    let bytes = encodeXdlms(req);
    // With a dedicated key, the association's APDUs after the HLS exchange are ded-ciphered.
    const ded =
      this.ciphered && this.options.dedicatedKey && this.authenticated ? this.dedicatedKeys : undefined;
    if (ded)
      bytes = encodeServiceCiphering(
        DED_TAG[bytes[0]!]!,
        protect(bytes, 0x30, this.title, this.nextIc(), ded),
      );
    else if (this.ciphered)
      bytes = encodeGeneralCiphering(
        this.title,
        protect(bytes, 0x30, this.title, this.nextIc(), this.options.keys!),
      );
    let answer = await this.transport.request(bytes);
    this.failOn(answer, req.kind);
    if (this.ciphered) {
      const c = decodeCiphered(answer);
      const title = c.systemTitle ?? this.serverTitle!;
      const keys = c.dedicated && this.options.dedicatedKey ? this.dedicatedKeys : this.options.keys!;
      answer = unprotect(c.content, title, keys).plain;
      this.failOn(answer, req.kind);
    }
    const res = decodeXdlms(answer);
    if ('iip' in res && 'iip' in req && (res.iip & 0x0f) !== (req.iip & 0x0f))
      throw new DlmsError(
        'MG_ERR_DLMS_PROTOCOL',
        `answer for invoke-id ${res.iip & 0x0f}, asked ${req.iip & 0x0f}`,
      );
    return res;
  }

  /** GET one attribute, reassembling a datablock answer (§9.3.6 block transfer). */
  async get(
    attr: AttributeDescriptor,
    access?: AccessSelection,
  ): Promise<{ data: DlmsData; raw: Uint8Array }> {
    const iip = this.iip('get');
    let res = await this.exchange({ kind: 'get-request-normal', iip, attr, access });
    if (res.kind === 'get-response-normal') return unwrap(res.result, attr);
    const blocks: Uint8Array[] = [];
    let expected = 1;
    for (;;) {
      if (res.kind !== 'get-response-with-datablock')
        throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `GET answered by ${res.kind}`);
      if (res.dar !== undefined) throw accessError(res.dar, attr);
      // Blocks are numbered 1, 2, 3… (§9.3.6); a gap means a lost or repeated block.
      if (res.block !== expected)
        throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `datablock ${res.block}, expected ${expected}`);
      blocks.push(res.raw!);
      if (res.last) break;
      res = await this.exchange({ kind: 'get-request-next', iip, block: res.block });
      expected++;
    }
    const raw = concat(blocks);
    return { data: decodeDataBytes(raw), raw };
  }

  /** GET-Request-With-List: one result per attribute (errors are per item, not thrown). */
  async getList(items: { attr: AttributeDescriptor; access?: AccessSelection }[]): Promise<GetResult[]> {
    const iip = this.iip('get');
    const res = await this.exchange({ kind: 'get-request-with-list', iip, items });
    if (res.kind === 'get-response-with-list') return res.results;
    if (res.kind === 'get-response-with-datablock') {
      const raw: Uint8Array[] = [];
      let r: XdlmsApdu = res;
      for (;;) {
        if (r.kind !== 'get-response-with-datablock' || r.dar !== undefined)
          throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'broken datablock answer to a GET with list');
        raw.push(r.raw!);
        if (r.last) break;
        r = await this.exchange({ kind: 'get-request-next', iip, block: r.block });
      }
      // The reassembled raw-data is the SEQUENCE OF Get-Data-Result of a with-list response.
      const whole = concat([Uint8Array.of(0xc4, 0x03, iip), concat(raw)]);
      const x = decodeXdlms(whole);
      if (x.kind === 'get-response-with-list') return x.results;
    }
    throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `GET with list answered by ${res.kind}`);
  }

  async set(attr: AttributeDescriptor, value: DlmsData, access?: AccessSelection): Promise<void> {
    const res = await this.exchange({
      kind: 'set-request-normal',
      iip: this.iip('set'),
      attr,
      access,
      value,
    });
    if (res.kind !== 'set-response-normal')
      throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `SET answered by ${res.kind}`);
    if (res.result !== 0) throw accessError(res.result, attr);
  }

  async action(attr: AttributeDescriptor, params?: DlmsData): Promise<DlmsData | undefined> {
    const res = await this.exchange({ kind: 'action-request-normal', iip: this.iip('action'), attr, params });
    if (res.kind !== 'action-response-normal')
      throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `ACTION answered by ${res.kind}`);
    if (res.result !== 0)
      throw new DlmsError(
        'MG_ERR_DLMS_ACTION',
        `method ${attr.attribute}: ${ACTION_RESULT[res.result] ?? res.result}`,
        {
          actionResult: res.result,
        },
      );
    if (res.returned && !res.returned.ok) throw accessError(res.returned.dar, attr);
    return res.returned?.ok ? res.returned.data : undefined;
  }

  /** RLRQ (§9.4.2.4); returns 'release-response' or throws the meter's exception. */
  async release(
    style: ReleaseStyle = this.options.release ?? (this.ciphered ? 'aarq-values' : 'plain'),
  ): Promise<string> {
    if (style === 'none') return 'none';
    let userInformation: Uint8Array | undefined;
    if (style !== 'plain') {
      const n = this.info?.negotiated;
      const init =
        style === 'negotiated-values' && n
          ? this.initiateRequest(n.conformance, n.maxPduSize)
          : this.initiateRequest();
      userInformation = this.ciphered
        ? encodeServiceCiphering(
            GLO_TAG[0x01]!,
            protect(init, 0x30, this.title, this.nextIc(), this.options.keys!),
          )
        : init;
    }
    const answer = await this.transport.request(encodeRlrq({ reason: 0, userInformation }));
    this.failOn(answer, 'release');
    if (answer[0] !== 0x63)
      throw new DlmsError('MG_ERR_DLMS_PROTOCOL', `RLRQ answered with APDU 0x${answer[0]?.toString(16)}`);
    decodeRlre(answer);
    return 'release-response';
  }
}

function unwrap(r: GetResult, attr: AttributeDescriptor): { data: DlmsData; raw: Uint8Array } {
  if (!r.ok) throw accessError(r.dar, attr);
  return { data: r.data, raw: r.raw };
}

export function accessError(dar: number, attr: AttributeDescriptor): DlmsError {
  return new DlmsError(
    'MG_ERR_DLMS_ACCESS',
    `${Array.from(attr.ln).join('.')} attribute ${attr.attribute}: ${accessResultName(dar)} (${dar})`,
    { dataAccessResult: dar },
  );
}
