import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { invalidRequest, type InvalidField } from './invalid-request.js';

type Schema = Record<string, unknown>;

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeAccepts(type: unknown, actual: string): boolean {
  const types = Array.isArray(type) ? (type as string[]) : [type as string];
  return types.includes(actual) || (actual === 'integer' && types.includes('number'));
}

/** Type mismatches Ajv would coerce away (null → 0, "12" → 12, true → 1), with their paths. */
function mismatches(schema: Schema | undefined, value: unknown, path: string, out: InvalidField[]): void {
  if (!schema || typeof schema !== 'object' || out.length >= 20) return;
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (branches) {
    const ok = branches.some((b) => {
      const sub: InvalidField[] = [];
      mismatches(b, value, path, sub);
      return sub.length === 0;
    });
    if (!ok)
      out.push({ field: path, reason: `must be ${branches.map((b) => b.type ?? b.const).join(' or ')}` });
    return;
  }
  if (schema.type !== undefined && !typeAccepts(schema.type, jsonType(value))) {
    out.push({ field: path, reason: `must be ${String(schema.type)}, got ${jsonType(value)}` });
    return;
  }
  if (jsonType(value) === 'object' && schema.properties) {
    const props = schema.properties as Record<string, Schema>;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (Object.hasOwn(props, k)) mismatches(props[k], v, `${path}/${k}`, out);
    }
  } else if (Array.isArray(value) && schema.items && typeof schema.items === 'object') {
    value.forEach((v, i) => mismatches(schema.items as Schema, v, `${path}/${i}`, out));
  }
}

/**
 * No NUL byte in any string of the params, query or body (refused with the field named), and the
 * app's Ajv coerces types so query strings can carry numbers; a JSON body must not be coerced:
 * `null` is not 0 W and `"12"` is not 12. This hook, before validation, refuses a body value whose
 * JSON type differs from its schema (MG_ERR_HTTP_VALIDATION naming the fields).
 */
/** Strings holding a NUL byte (no PostgreSQL text can hold one), with their paths. */
function nulBytes(value: unknown, path: string, out: InvalidField[], depth = 0): void {
  if (out.length >= 20 || depth > 64) return;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ field: path, reason: 'contains a NUL byte' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => nulBytes(v, `${path}/${i}`, out, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nulBytes(v, `${path}/${k}`, out, depth + 1);
  }
}

async function strictBody(app: FastifyInstance): Promise<void> {
  app.addHook('preValidation', async (request) => {
    const nul: InvalidField[] = [];
    nulBytes(request.params, 'params', nul);
    nulBytes(request.query, 'querystring', nul);
    nulBytes(request.body, 'body', nul);
    if (nul.length) throw invalidRequest(...nul);
    const schema = (request.routeOptions.schema as FastifySchema | undefined)?.body as Schema | undefined;
    if (!schema || request.body === undefined) return;
    const out: InvalidField[] = [];
    mismatches(schema, request.body, 'body', out);
    if (out.length) throw invalidRequest(...out);
  });
}

export const strictBodyPlugin = fp(strictBody, { name: 'metergate-strict-body', fastify: '5.x' });
