import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { GatewayError, pickLanguage, type ErrorAnswer, type Language } from '../errors/index.js';
import type { InvalidField } from './invalid-request.js';
import { strictBodyPlugin } from './strict-body.js';

/** `lang=xx` from the Cookie header (no cookie plugin needed for one value). */
function cookieLang(header: string | undefined): string | undefined {
  const m = /(?:^|;\s*)lang=([A-Za-z-]{2,8})/.exec(header ?? '');
  return m?.[1];
}

/** The caller's language: `?lang`, then a `lang` cookie, then Accept-Language, French by default. */
export function requestLanguage(request: FastifyRequest): Language {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const explicit = typeof q.lang === 'string' ? q.lang : cookieLang(request.headers.cookie);
  const accept = request.headers['accept-language'];
  return pickLanguage(explicit, typeof accept === 'string' ? accept : undefined);
}

/** Fastify's own client errors, each with its declared code (status from the registry). */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MG_ERR_HTTP_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MG_ERR_HTTP_BAD_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'MG_ERR_HTTP_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'MG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
};

/** Ajv's errors as field names (`body/amount`) with the reason. */
function validationFields(err: FastifyError): InvalidField[] {
  const where = err.validationContext ?? 'request';
  return (err.validation ?? []).map((v) => {
    const params = (v.params ?? {}) as Record<string, unknown>;
    const extra =
      typeof params.missingProperty === 'string'
        ? `/${params.missingProperty}`
        : typeof params.additionalProperty === 'string'
          ? `/${params.additionalProperty}`
          : '';
    return { field: `${where}${v.instancePath ?? ''}${extra}`, reason: v.message ?? 'invalid' };
  });
}

function toGatewayError(err: FastifyError, request: FastifyRequest): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err.validation) {
    const fields = validationFields(err);
    return new GatewayError('MG_ERR_HTTP_VALIDATION', {
      params: { fields: [...new Set(fields.map((f) => f.field))].join(', ') || 'request' },
      details: fields,
    });
  }
  // A value the database cannot hold (SQLSTATE class 22, data exception: a number out of range, an
  // untranslatable character): the client's input, not a server fault.
  if (typeof err.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code)) {
    request.log.warn({ reqId: request.id, sqlstate: err.code }, 'input refused by the database');
    return new GatewayError('MG_ERR_HTTP_VALIDATION', {
      params: { fields: 'request' },
      details: [{ field: 'request', reason: 'a value is out of range or not representable' }],
    });
  }
  // JSON.parse's SyntaxError for a bad body carries statusCode 400 but no FST code.
  if (err.name === 'SyntaxError' && err.statusCode === 400) return new GatewayError('MG_ERR_HTTP_BAD_JSON');
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FASTIFY_CLIENT_ERRORS[err.code] ?? 'MG_ERR_HTTP_BAD_REQUEST';
    return new GatewayError(code);
  }
  // Never echo internal error text (it could carry SQL or key material): log the id only.
  request.log.error({ reqId: request.id, code: err.code, name: err.name }, 'request failed');
  return new GatewayError('MG_ERR_INTERNAL', { params: { requestId: String(request.id) } });
}

export function sendErrorAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  err: GatewayError,
): FastifyReply {
  const body: ErrorAnswer = err.answer(requestLanguage(request));
  return reply.code(err.statusCode).type('application/json; charset=utf-8').send(body);
}

/**
 * Fastify's `frameworkErrors` (errors raised before routing: a URL that is not valid UTF-8, a path
 * parameter over `maxParamLength`), answered in the same shape. Pass it to `Fastify({ frameworkErrors })`.
 */
export function frameworkErrorAnswer(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const code =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'MG_ERR_HTTP_URI_TOO_LONG' : 'MG_ERR_HTTP_BAD_REQUEST';
  void sendErrorAnswer(request, reply, new GatewayError(code));
}

/**
 * Every error of the app answered in one shape `{ statusCode, code, message, details? }` in the
 * caller's language: declared GatewayErrors as they are, schema failures as MG_ERR_HTTP_VALIDATION
 * naming the fields, Fastify's client errors by their declared code, anything else as
 * MG_ERR_INTERNAL without its text.
 */
async function errorAnswers(app: FastifyInstance): Promise<void> {
  // JSON bodies are validated without type coercion (null is not 0): see strict-body.ts.
  await app.register(strictBodyPlugin);
  app.setNotFoundHandler((request, reply) =>
    sendErrorAnswer(
      request,
      reply,
      new GatewayError('MG_ERR_HTTP_NOT_FOUND', {
        params: { method: request.method, path: request.url.split('?')[0]!.slice(0, 200) },
      }),
    ),
  );
  app.setErrorHandler((err: FastifyError, request, reply) =>
    sendErrorAnswer(request, reply, toGatewayError(err, request)),
  );
}

/** Non-encapsulated: applies to the whole app. The auth plugin registers it too (once). */
export const errorAnswersPlugin = fp(errorAnswers, { name: 'metergate-error-answers', fastify: '5.x' });
