import { GatewayError } from '../errors/index.js';

/** One field that made a request invalid: `body/amount`, `query/from`… and why (English, for developers). */
export interface InvalidField {
  field: string;
  reason: string;
}

/**
 * MG_ERR_HTTP_VALIDATION naming the field(s): the message (in the caller's language) lists the
 * field names, `details` carries each field with its reason.
 */
export function invalidRequest(...fields: InvalidField[]): GatewayError {
  return new GatewayError('MG_ERR_HTTP_VALIDATION', {
    params: { fields: fields.map((f) => f.field).join(', ') || 'request' },
    details: fields,
  });
}
