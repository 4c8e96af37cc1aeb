import { DlmsValue as D } from '../../drivers/index.js';
import { DAR_DENIED, DAR_UNDEFINED, type Answer, type DlmsMeter } from './dlms-meter.js';

/**
 * The current association object's attributes (Blue Book class 15 "Association LN",
 * 0.0.40.0.0.255): object_list, associated_partners_id, application_context_name,
 * xDLMS_context_info, authentication_mechanism_name, secret (never readable), association_status.
 */
export const SERVER_MAX_PDU = 1024;
const PUBLIC_CLIENT = 16;
const LLS_CLIENT = 17;

export interface AssociationView {
  readonly meter: DlmsMeter;
  readonly clientSap: number;
  readonly serverSap: number;
  readonly ciphered: boolean;
  readonly conformance: number;
  readonly clientMaxPdu: number;
  readonly associated: boolean;
}

export function associationAttribute(a: number, v: AssociationView): Answer {
  switch (a) {
    case 2:
      return { data: v.meter.objectList(v.clientSap) };
    case 3:
      return { data: D.struct(D.i8(v.clientSap), D.u16(v.serverSap)) };
    case 4:
      return {
        data: D.octets(Uint8Array.from([0x60, 0x85, 0x74, 0x05, 0x08, 0x01, v.ciphered ? 3 : 1])),
      };
    case 5: {
      const bits = v.conformance.toString(2).padStart(24, '0');
      return {
        data: D.struct(
          { type: 'bit-string', value: bits },
          D.u16(v.clientMaxPdu),
          D.u16(SERVER_MAX_PDU),
          D.u8(6),
          D.i8(0),
          D.octets(new Uint8Array(0)),
        ),
      };
    }
    case 6: {
      const m = v.clientSap === PUBLIC_CLIENT ? 0 : v.clientSap === LLS_CLIENT ? 1 : 5;
      return { data: D.octets(Uint8Array.from([0x60, 0x85, 0x74, 0x05, 0x08, 0x02, m])) };
    }
    case 7:
      return { dar: DAR_DENIED };
    case 8:
      return { data: D.enum(v.associated ? 2 : 1) };
    default:
      return { dar: DAR_UNDEFINED };
  }
}
