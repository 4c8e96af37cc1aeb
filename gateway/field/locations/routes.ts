import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ID_PATTERN } from '../../../protocol/index.js';
import {
  ErrorAnswerSchema,
  GatewayError,
  invalidRequest,
  renderErrorMessage,
  requestLanguage,
} from '../../platform/index.js';
import { checkPoint, coordinatesValid, parsePointsCsv, parsePointsGeoJson } from './location-import.js';
import type { LocationStore } from './location-store.js';

export interface LocationsPluginOptions {
  locations: LocationStore;
}

const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
const LineErrors = Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() }));
/** The one error shape, with the bad lines also at the top level (`errors`) as the contract says. */
const ImportRefused = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  errors: LineErrors,
  details: Type.Object({ errors: LineErrors }),
});
const Point = Type.Object({
  meter: Type.String(),
  lat: Type.Number(),
  lon: Type.Number(),
  address: Type.Optional(Type.String()),
  commune: Type.Optional(Type.String()),
  province: Type.Optional(Type.String()),
  region: Type.Optional(Type.String()),
  feeder: Type.Optional(Type.String()),
  transformer: Type.Optional(Type.String()),
  concentrator: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  reading: Type.Optional(Type.String()),
  customerId: Type.Optional(Type.String()),
});
const Text = Type.String({ maxLength: 200 });
const NetworkId = Type.String({ pattern: ID_PATTERN });

/** Connection points: a CSV or GeoJSON import (all-or-nothing), or one point at a time. */
export const locationsPlugin: FastifyPluginAsyncTypebox<LocationsPluginOptions> = async (app, options) => {
  // Both bodies arrive as text and are parsed line by line below (a bad line is reported, not a 400).
  app.addContentTypeParser(
    ['text/csv', 'application/geo+json'],
    { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.post(
    '/api/locations/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      config: { roles: ['operator'] },
      schema: {
        summary:
          'import connection points (CSV with a header meter,lat,lon,… or a GeoJSON FeatureCollection of Points); all or nothing',
        tags: ['field'],
        consumes: ['text/csv', 'application/geo+json'],
        body: Type.String({ description: 'text/csv or application/geo+json' }),
        response: {
          200: Type.Object({ imported: Type.Integer() }),
          400: ErrorAnswerSchema,
          415: ErrorAnswerSchema,
          422: ImportRefused,
        },
      },
    },
    async (request, reply) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const body = request.body;
      const parsed = type === 'text/csv' ? parsePointsCsv(body) : parsePointsGeoJson(body);
      const result = await options.locations.import(parsed);
      if (result.ok) return { imported: result.imported };
      const code = 'MG_ERR_FIELD_IMPORT_INVALID';
      const error = new GatewayError(code, { params: { count: result.errors.length } });
      return reply.code(422).send({
        statusCode: error.statusCode,
        code,
        message: renderErrorMessage(code, requestLanguage(request), { count: result.errors.length }),
        errors: result.errors,
        details: { errors: result.errors },
      });
    },
  );

  app.put(
    '/api/locations/:meter',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'set one connection point: WGS 84 position, address, place in the network',
        tags: ['field'],
        params: Type.Object({ meter: Type.String({ pattern: ID_PATTERN }) }),
        body: Type.Object(
          {
            lat: Type.Number({ description: 'WGS 84, −90 to 90' }),
            lon: Type.Number({ description: 'WGS 84, −180 to 180' }),
            address: Type.Optional(Text),
            commune: Type.Optional(Text),
            province: Type.Optional(Text),
            region: Type.Optional(Text),
            feeder: Type.Optional(NetworkId),
            transformer: Type.Optional(NetworkId),
            concentrator: Type.Optional(NetworkId),
            kind: Type.Optional(Type.Union([Type.Literal('prepaid'), Type.Literal('postpaid')])),
            reading: Type.Optional(Type.Union([Type.Literal('remote'), Type.Literal('manual')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Point, 400: ErrorAnswerSchema, 404: ErrorAnswerSchema, 422: ErrorAnswerSchema },
      },
    },
    async (request) => {
      const { lat, lon } = request.body;
      if (!coordinatesValid(lat, lon)) throw new GatewayError('MG_ERR_FIELD_BAD_COORDINATES');
      const checked = checkPoint({ ...request.body, meter: request.params.meter });
      if (!checked.ok) throw invalidRequest({ field: 'body', reason: checked.reason });
      return options.locations.set(checked.point);
    },
  );

  app.get(
    '/api/locations/:meter',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'one connection point',
        tags: ['field'],
        params: Type.Object({ meter: Type.String({ pattern: ID_PATTERN }) }),
        response: { 200: Point, 404: ErrorAnswerSchema },
      },
    },
    async (request) => {
      const p = await options.locations.get(request.params.meter);
      if (!p)
        throw new GatewayError('MG_ERR_FIELD_UNKNOWN_METER', { params: { meterId: request.params.meter } });
      return p;
    },
  );
};
