import { randomBytes } from 'node:crypto';
import {
  conformanceBit,
  DlmsValue as D,
  decodeAarq,
  decodeCiphered,
  decodeInitiateRequest,
  decodeRlrq,
  decodeXdlms,
  dlmsProtect,
  dlmsUnprotect,
  encodeAare,
  encodeDlmsDataBytes,
  encodeGeneralCiphering,
  encodeInitiateResponse,
  encodeRlre,
  encodeServiceCiphering,
  encodeXdlms,
  gmacResponse,
  GLO_TAG,
  DED_TAG,
  verifyGmacResponse,
  type AccessSelection,
  type AttributeDescriptor,
  type CipherKeys,
  type GetResult,
  type XdlmsApdu,
} from '../../drivers/index.js';
import {
  DAR_DENIED,
  DAR_UNDEFINED,
  serverTitle,
  type Answer,
  type Caller,
  type DlmsMeter,
} from './dlms-meter.js';
import { associationAttribute, SERVER_MAX_PDU } from './association-attributes.js';

/**
 * The server side of one association (IEC 62056-5-3 / Green Book §9.4): AARQ checks per client SAP
 * (16 public, 17 LLS, 1 HLS-GMAC), the HLS 4-pass exchange, global ciphering of every xDLMS APDU
 * for the HLS client, GET (normal, with-list, datablocks), SET, ACTION, RLRQ.
 *
 * Tolerant where real clients rely on it: long answers go out as datablocks even when the client did
 * not negotiate block-transfer-with-get (dlms-cosem proposes only general-block-transfer), as the
 * recorded Gurux meter does.
 */
export interface ServerSecurity {
  readonly password: Uint8Array;
  readonly keys: CipherKeys;
  /** Server-to-client challenge source (tests replaying a recording inject the recorded one). */
  readonly challenge?: () => Uint8Array;
}

export const PUBLIC_CLIENT = 16;
export const LLS_CLIENT = 17;
export const HLS_CLIENT = 1;
const SERVER_CONFORMANCE =
  conformanceBit('general-protection') |
  conformanceBit('block-transfer-with-get-or-read') |
  conformanceBit('multiple-references') |
  conformanceBit('get') |
  conformanceBit('set') |
  conformanceBit('selective-access') |
  conformanceBit('action');
const ASSOCIATION_LN = [0, 0, 40, 0, 0, 255];
const CIPHER_OVERHEAD = 40;

type Reply = Uint8Array | undefined;

export class ServerAssociation {
  private state: 'idle' | 'pending-hls' | 'associated' = 'idle';
  private clientTitle: Uint8Array | undefined;
  private ctos: Uint8Array | undefined;
  private stoc: Uint8Array | undefined;
  private conformance = 0;
  private clientMaxPdu = 0;
  private initiateProposal: Uint8Array | undefined;
  private general = true;
  private dedicatedKey: Uint8Array | undefined;
  private pending: { raw: Uint8Array; size: number; block: number; iip: number } | undefined;
  private readonly title: Uint8Array;
  private readonly caller: Caller;

  constructor(
    readonly meter: DlmsMeter,
    readonly clientSap: number,
    private readonly security: ServerSecurity,
    private readonly serverSap: number,
    private readonly refuse = false,
  ) {
    this.title = serverTitle(meter.options.id);
    this.caller = { clientSap, association: (a) => this.attribute(a) };
  }

  get ciphered(): boolean {
    return this.clientSap === HLS_CLIENT;
  }

  reset(): void {
    this.state = 'idle';
    this.pending = undefined;
  }

  /** One request APDU in, at most one answer out (undefined: no answer, as for an unknown client). */
  handle(apdu: Uint8Array): Reply {
    try {
      switch (apdu[0]) {
        case 0x60:
          return this.onAarq(apdu);
        case 0x62:
          return this.onRlrq(apdu);
        default:
          return this.onXdlms(apdu);
      }
    } catch {
      // Undecodable requests: service-not-allowed / operation-not-possible (Green Book §9.5).
      return exception(1, 1);
    }
  }

  private nextServerIc(): number {
    return this.meter.serverInvocationCounter++;
  }

  private reject(diagnostic: number, context: number): Uint8Array {
    this.state = 'idle';
    return encodeAare({ context, result: 1, diagnosticSource: 1, diagnostic });
  }

  private onAarq(bytes: Uint8Array): Reply {
    if (![PUBLIC_CLIENT, LLS_CLIENT, HLS_CLIENT].includes(this.clientSap)) return undefined;
    this.reset();
    const aarq = decodeAarq(bytes);
    const wantContext = this.ciphered ? 3 : 1;
    if (this.refuse) return this.reject(1, aarq.context);
    if (aarq.context !== wantContext) {
      return encodeAare({ context: aarq.context, result: 1, diagnosticSource: 1, diagnostic: 2 });
    }
    const wantMechanism =
      this.clientSap === PUBLIC_CLIENT ? undefined : this.clientSap === LLS_CLIENT ? 1 : 5;
    if (aarq.mechanism !== wantMechanism)
      return this.reject(wantMechanism === undefined ? 11 : 14, aarq.context);
    if (this.clientSap === LLS_CLIENT && !sameBytes(aarq.authValue, this.security.password))
      return this.reject(13, aarq.context);
    let ui = aarq.userInformation;
    if (!ui) return this.reject(1, aarq.context);
    if (this.ciphered) {
      const title = aarq.callingApTitle;
      if (
        !title ||
        title.length !== 8 ||
        !aarq.authValue ||
        aarq.authValue.length < 8 ||
        aarq.authValue.length > 64
      )
        return this.reject(13, aarq.context);
      if (ui[0] !== GLO_TAG[0x01]) return this.reject(1, aarq.context);
      let un;
      try {
        un = dlmsUnprotect(decodeCiphered(ui).content, title, this.security.keys);
      } catch {
        return exception(1, 5);
      }
      if (un.ic < this.meter.expectedInvocationCounter)
        return exception(1, 6, this.meter.expectedInvocationCounter);
      this.meter.expectedInvocationCounter = un.ic + 1;
      ui = un.plain;
      this.clientTitle = title;
      this.ctos = aarq.authValue;
    }
    const init = decodeInitiateRequest(ui);
    this.initiateProposal = ui;
    this.dedicatedKey = this.ciphered && init.dedicatedKey?.length === 16 ? init.dedicatedKey : undefined;
    if (init.version < 6 || init.maxPduSize < 12)
      return encodeAare({ context: aarq.context, result: 1, diagnosticSource: 1, diagnostic: 1 });
    this.conformance =
      init.conformance &
      SERVER_CONFORMANCE &
      (this.ciphered ? 0xffffff : ~conformanceBit('general-protection'));
    this.clientMaxPdu = init.maxPduSize === 0 ? 0xffff : init.maxPduSize;
    const response = encodeInitiateResponse({
      version: 6,
      conformance: this.conformance,
      maxPduSize: SERVER_MAX_PDU,
      vaaName: 7,
    });
    if (!this.ciphered) {
      this.state = 'associated';
      return encodeAare({
        context: aarq.context,
        result: 0,
        diagnosticSource: 1,
        diagnostic: 0,
        userInformation: response,
      });
    }
    this.stoc = this.security.challenge?.() ?? randomBytes(16);
    this.state = 'pending-hls';
    return encodeAare({
      context: aarq.context,
      result: 0,
      diagnosticSource: 1,
      diagnostic: 14,
      respondingApTitle: this.title,
      mechanism: 5,
      authValue: this.stoc,
      userInformation: encodeServiceCiphering(
        GLO_TAG[0x08]!,
        dlmsProtect(response, 0x30, this.title, this.nextServerIc(), this.security.keys),
      ),
    });
  }

  private onRlrq(bytes: Uint8Array): Reply {
    const r = decodeRlrq(bytes);
    let ui: Uint8Array | undefined;
    if (r.userInformation?.[0] === GLO_TAG[0x01] && this.ciphered && this.clientTitle) {
      let un;
      try {
        un = dlmsUnprotect(decodeCiphered(r.userInformation!).content, this.clientTitle, this.security.keys);
      } catch {
        return exception(1, 5);
      }
      this.meter.expectedInvocationCounter = Math.max(this.meter.expectedInvocationCounter, un.ic + 1);
      const resp = encodeInitiateResponse({
        version: 6,
        conformance: this.conformance,
        maxPduSize: SERVER_MAX_PDU,
        vaaName: 7,
      });
      ui = encodeServiceCiphering(
        GLO_TAG[0x08]!,
        dlmsProtect(resp, 0x30, this.title, this.nextServerIc(), this.security.keys),
      );
    } else if (r.userInformation) {
      ui = encodeInitiateResponse({
        version: 6,
        conformance: this.conformance,
        maxPduSize: SERVER_MAX_PDU,
        vaaName: 7,
      });
    }
    this.reset();
    return encodeRlre({ reason: 0, userInformation: ui });
  }

  private onXdlms(bytes: Uint8Array): Reply {
    if (this.state === 'idle') return exception(1, 1);
    let plain = bytes;
    if (this.ciphered) {
      let un;
      let ded = false;
      try {
        const c = decodeCiphered(bytes);
        ded = c.dedicated;
        if (ded && !this.dedicatedKey) return exception(1, 1);
        this.general = c.systemTitle !== undefined;
        un = dlmsUnprotect(
          c.content,
          c.systemTitle ?? this.clientTitle!,
          ded ? this.dedKeys : this.security.keys,
        );
      } catch {
        return exception(1, 5);
      }
      if (un.ic < this.meter.expectedInvocationCounter)
        return exception(1, 6, this.meter.expectedInvocationCounter);
      this.meter.expectedInvocationCounter = un.ic + 1;
      plain = un.plain;
      this.answerDed = ded;
    }
    const req = decodeXdlms(plain);
    const res = this.serve(req);
    if (!res) return exception(2, 2);
    const out = encodeXdlms(res);
    if (!this.ciphered) return out;
    const keys = this.answerDed ? this.dedKeys : this.security.keys;
    const content = dlmsProtect(out, 0x30, this.title, this.nextServerIc(), keys);
    if (this.general) return encodeGeneralCiphering(this.title, content, this.answerDed);
    return encodeServiceCiphering((this.answerDed ? DED_TAG : GLO_TAG)[out[0]!]!, content);
  }

  /** Whether the request being answered was ded-ciphered (the answer then is too). */
  private answerDed = false;

  private get dedKeys(): CipherKeys {
    return { ek: this.dedicatedKey!, ak: this.security.keys.ak };
  }

  private get blockSize(): number {
    return Math.max(
      16,
      Math.min(this.clientMaxPdu, 0xffff - 16) - (this.ciphered ? CIPHER_OVERHEAD : 0) - 16,
    );
  }

  private serve(req: XdlmsApdu): XdlmsApdu | undefined {
    if (this.state === 'pending-hls') {
      if (
        req.kind !== 'action-request-normal' ||
        req.attr.classId !== 15 ||
        !lnIs(req.attr.ln, ASSOCIATION_LN) ||
        req.attr.attribute !== 1
      )
        return 'iip' in req ? denial(req) : undefined;
      return this.hlsReply(req.iip, req.params?.type === 'octet-string' ? req.params.value : undefined);
    }
    switch (req.kind) {
      case 'get-request-normal': {
        const r = this.read(req.attr, req.access);
        if (!r.ok) return { kind: 'get-response-normal', iip: req.iip, result: r };
        return this.maybeBlocks(req.iip, r.raw, (raw) => ({
          kind: 'get-response-normal',
          iip: req.iip,
          result: { ok: true, data: D.null(), raw },
        }));
      }
      case 'get-request-next': {
        const p = this.pending;
        if (!p || req.block !== p.block) {
          this.pending = undefined;
          return {
            kind: 'get-response-with-datablock',
            iip: req.iip,
            last: true,
            block: req.block,
            dar: p ? 19 : 16,
          };
        }
        return this.nextBlock();
      }
      case 'get-request-with-list': {
        const results = req.items.map((it) => this.read(it.attr, it.access));
        const listRaw = encodeXdlms({ kind: 'get-response-with-list', iip: req.iip, results }).subarray(3);
        return this.maybeBlocks(req.iip, listRaw, () => ({
          kind: 'get-response-with-list',
          iip: req.iip,
          results,
        }));
      }
      case 'set-request-normal': {
        const o = this.meter.find(req.attr.classId, req.attr.ln);
        const result = !o
          ? DAR_UNDEFINED
          : !o.set
            ? DAR_DENIED
            : o.set(req.attr.attribute, req.value, this.caller);
        return { kind: 'set-response-normal', iip: req.iip, result };
      }
      case 'action-request-normal': {
        const o = this.meter.find(req.attr.classId, req.attr.ln);
        if (!o || !o.action)
          return { kind: 'action-response-normal', iip: req.iip, result: o ? DAR_DENIED : DAR_UNDEFINED };
        const r = o.action(req.attr.attribute, req.params, this.caller);
        return {
          kind: 'action-response-normal',
          iip: req.iip,
          result: r.result,
          returned: r.returned
            ? { ok: true, data: r.returned, raw: encodeDlmsDataBytes(r.returned) }
            : undefined,
        };
      }
      default:
        return undefined;
    }
  }

  private maybeBlocks(iip: number, raw: Uint8Array, whole: (raw: Uint8Array) => XdlmsApdu): XdlmsApdu {
    if (raw.length + 8 <= this.blockSize) return whole(raw);
    this.pending = { raw, size: this.blockSize, block: 0, iip };
    return this.nextBlock()!;
  }

  private nextBlock(): XdlmsApdu {
    const p = this.pending!;
    const from = p.block * p.size;
    const chunk = p.raw.subarray(from, from + p.size);
    p.block++;
    const last = from + p.size >= p.raw.length;
    if (last) this.pending = undefined;
    return { kind: 'get-response-with-datablock', iip: p.iip, last, block: p.block, raw: chunk };
  }

  private read(attr: AttributeDescriptor, access?: AccessSelection): GetResult {
    const o = this.meter.findLn(attr.ln);
    if (!o) return { ok: false, dar: DAR_UNDEFINED };
    if (o.classId !== attr.classId) return { ok: false, dar: 9 };
    if (attr.attribute < 1 || attr.attribute > o.attributes) return { ok: false, dar: DAR_UNDEFINED };
    if (access && !(o.classId === 7 && attr.attribute === 2)) return { ok: false, dar: 13 };
    const a: Answer = o.get(attr.attribute, this.caller, access);
    if ('dar' in a) return { ok: false, dar: a.dar };
    if ('raw' in a) return { ok: true, data: D.null(), raw: a.raw };
    return { ok: true, data: a.data, raw: encodeDlmsDataBytes(a.data) };
  }

  /** Pass 3 → 4: check f(StoC) from the client, answer f(CtoS) (Green Book §9.2.7.4). */
  private hlsReply(iip: number, fStoC: Uint8Array | undefined): XdlmsApdu {
    try {
      if (!fStoC) throw new Error('no f(StoC)');
      verifyGmacResponse(fStoC, this.stoc!, this.clientTitle!, this.security.keys);
    } catch {
      this.state = 'idle';
      return { kind: 'action-response-normal', iip, result: 3 };
    }
    this.state = 'associated';
    const f = gmacResponse(this.ctos!, this.title, this.nextServerIc(), this.security.keys);
    return {
      kind: 'action-response-normal',
      iip,
      result: 0,
      returned: { ok: true, data: D.octets(f), raw: encodeDlmsDataBytes(D.octets(f)) },
    };
  }

  private attribute(a: number): Answer {
    return associationAttribute(a, {
      meter: this.meter,
      clientSap: this.clientSap,
      serverSap: this.serverSap,
      ciphered: this.ciphered,
      conformance: this.conformance,
      clientMaxPdu: this.clientMaxPdu,
      associated: this.state === 'associated',
    });
  }
}

function exception(state: number, service: number, ic?: number): Uint8Array {
  return encodeXdlms({
    kind: 'exception-response',
    stateError: state,
    serviceError: service,
    invocationCounter: ic,
  });
}

function denial(req: XdlmsApdu & { iip: number }): XdlmsApdu {
  if (req.kind === 'set-request-normal')
    return { kind: 'set-response-normal', iip: req.iip, result: DAR_DENIED };
  if (req.kind === 'action-request-normal')
    return { kind: 'action-response-normal', iip: req.iip, result: DAR_DENIED };
  return { kind: 'get-response-normal', iip: req.iip, result: { ok: false, dar: DAR_DENIED } };
}

function lnIs(ln: Uint8Array, want: number[]): boolean {
  return want.every((b, i) => ln[i] === b);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}
