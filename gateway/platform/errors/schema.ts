import { Type } from '@sinclair/typebox';

/** The one shape of every error answer, for route response schemas and the OpenAPI document. */
export const ErrorAnswerSchema = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ pattern: '^MG_ERR_[A-Z0-9_]+$' }),
    message: Type.String({ description: 'in the caller’s language (?lang, lang cookie, Accept-Language)' }),
    details: Type.Optional(Type.Unknown()),
  },
  { title: 'error answer' },
);
