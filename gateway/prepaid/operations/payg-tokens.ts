import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_ACTIVATION_VALUE } from '../../../token-engine/index.js';
import { ErrorAnswerSchema, GatewayError, invalidRequest, type Principal } from '../../platform/index.js';
import { LedgerError } from '../ledger/errors.js';
import { cents, requestHash, type IssueResult } from '../vending/ledger-tx.js';
import { daysPriceCents, issueOpenPaygo } from '../vending/openpaygo-issue.js';
import type { VendingService } from '../vending/service.js';
import { assertOpen } from '../vendors/vendors.js';

/** The OpenPAYGO commands beside the ADD_TIME of an ordinary sale (`POST /api/vend`). */
export type PaygCommandType = 'SET_TIME' | 'DISABLE_PAYG' | 'COUNTER_SYNC';

export interface PaygCommandRequest {
  requestId: string;
  type: PaygCommandType;
  /** SET_TIME: the days of service the device will have from now (0 locks it). */
  days?: number;
  /** DISABLE_PAYG: the price of unlocking the device for good (the end of its payment plan); default 0. */
  amount?: number;
}

/**
 * Issue SET_TIME, DISABLE_PAYG or COUNTER_SYNC to an OpenPAYGO device
 * (`POST /api/payg-devices/:id/tokens`). SET_TIME is priced like ADD_TIME days (days × the price
 * per day); DISABLE_PAYG carries the price it is sold at, if any; COUNTER_SYNC is free. A priced
 * token is a sale (float, commission, reprint and reversal as any sale); a free one is a command
 * that only operators give — except COUNTER_SYNC, which grants nothing and which a field agent
 * may need to bring a device back in step. Idempotent by requestId like a vend.
 */
export async function issuePaygCommand(
  service: VendingService,
  principal: Principal,
  deviceId: string,
  req: PaygCommandRequest,
): Promise<IssueResult> {
  if (req.type === 'SET_TIME' && req.days === undefined)
    throw invalidRequest({ field: 'body/days', reason: 'SET_TIME needs days (0 locks the device)' });
  if (req.type !== 'SET_TIME' && req.days !== undefined)
    throw invalidRequest({ field: 'body/days', reason: `${req.type} carries no days` });
  if (req.type !== 'DISABLE_PAYG' && req.amount !== undefined)
    throw invalidRequest({
      field: 'body/amount',
      reason: `${req.type} has no amount (SET_TIME is priced by its days, COUNTER_SYNC is free)`,
    });
  const hash = requestHash({
    op: 'payg-token',
    meterId: deviceId,
    type: req.type,
    days: req.days,
    amount: req.amount,
    vendor: principal.vendorId,
  });
  return service.issue(
    deviceId,
    req.requestId,
    hash,
    async (tx, meter) => {
      if (meter.token_scheme !== 'openpaygo' || !meter.opaygo) {
        throw new LedgerError('MG_ERR_VEND_SCHEME', { params: { meterId: meter.id, scheme: 'sts' } });
      }
      const now = service.now();
      const days = req.type === 'SET_TIME' ? req.days! : null;
      const maxDays = Math.floor(MAX_ACTIVATION_VALUE / meter.opaygo.timeDivider);
      if (days !== null && days > maxDays) {
        throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', {
          details: { reason: `a SET_TIME token carries 0 to ${maxDays} days` },
        });
      }
      const moneyCents =
        days !== null
          ? daysPriceCents(meter, days)
          : req.type === 'DISABLE_PAYG'
            ? cents(req.amount ?? 0)
            : 0;
      if (moneyCents > 0 && cents(meter.definition.maxPurchase) < moneyCents) {
        throw new LedgerError('MG_ERR_VEND_AMOUNT_RANGE', {
          details: {
            reason: `the token costs ${moneyCents / 100}, above the maximum purchase ${meter.definition.maxPurchase} ${meter.currency}`,
          },
        });
      }
      // Service given away (a free unlock, a lock): the operator's decision, never a counter's.
      if (moneyCents === 0 && req.type !== 'COUNTER_SYNC' && principal.role === 'vendor') {
        throw new GatewayError('MG_ERR_AUTH_FORBIDDEN', { params: { role: principal.role } });
      }
      if (moneyCents > 0 && meter.vendor) assertOpen(meter.vendor, now);
      return issueOpenPaygo(service, tx, meter, {
        type: req.type,
        days,
        moneyCents,
        requestId: req.requestId,
        requestHash: hash,
        principal,
        now,
      });
    },
    principal.vendorId ?? null,
  );
}

const E = ErrorAnswerSchema;

/** The route, registered with the other operations (operations/routes.ts). */
export async function paygTokenRoutes(app: FastifyInstance, service: VendingService): Promise<void> {
  app.post(
    '/api/payg-devices/:id/tokens',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary:
          'issue an OpenPAYGO SET_TIME (days, priced per day), DISABLE_PAYG (unlock for good, optional price) or COUNTER_SYNC token to a PAYG device (idempotent on requestId)',
        tags: ['vending'],
        params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }) }),
        body: Type.Object(
          {
            requestId: Type.String({
              pattern: '^[A-Za-z0-9._:-]{1,100}$',
              description: 'client idempotency key',
            }),
            type: Type.Union([
              Type.Literal('SET_TIME'),
              Type.Literal('DISABLE_PAYG'),
              Type.Literal('COUNTER_SYNC'),
            ]),
            days: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ACTIVATION_VALUE })),
            amount: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Record(Type.String(), Type.Unknown()),
          400: E,
          401: E,
          403: E,
          404: E,
          409: E,
          422: E,
        },
      },
    },
    async (req: FastifyRequest) => {
      if (!req.principal) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
      return issuePaygCommand(
        service,
        req.principal,
        (req.params as { id: string }).id,
        req.body as PaygCommandRequest,
      );
    },
  );
}
