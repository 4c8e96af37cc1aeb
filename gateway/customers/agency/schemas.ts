import { Type } from '@sinclair/typebox';
import { ErrorAnswerSchema } from '../../platform/index.js';

/** Schemas shared by the agency's routes. */
export const errorAnswers = {
  400: ErrorAnswerSchema,
  401: ErrorAnswerSchema,
  403: ErrorAnswerSchema,
  404: ErrorAnswerSchema,
  409: ErrorAnswerSchema,
  413: ErrorAnswerSchema,
  415: ErrorAnswerSchema,
  422: ErrorAnswerSchema,
  423: ErrorAnswerSchema,
  429: ErrorAnswerSchema,
};
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const Username = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{3,39}$' });
export const Mobile = Type.String({ pattern: '^\\+?[0-9]{8,15}$' });
export const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 200 });
export const Cin = Type.String({ pattern: '^[A-Za-z]{1,2}[0-9]{1,7}$' });
export const RegistryNumber = Type.String({ pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{3,63}$' });
export const Captcha = Type.String({ minLength: 1, maxLength: 200 });
export const Password = Type.String({ minLength: 1, maxLength: 200 });
export const BillNumber = Type.String({ pattern: '^\\d{4}-\\d{6,}$', description: 'YYYY-NNNNNN' });
export const TrackingNumber = Type.String({ pattern: '^(RC|DM)-\\d{4}-\\d{6}$' });
