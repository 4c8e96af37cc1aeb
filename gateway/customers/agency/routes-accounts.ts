import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../platform/index.js';
import type { AgencyAccounts, RegisterInput } from './accounts.js';
import type { ProofOfWorkCaptcha } from './captcha.js';
import { agencyUser } from './guard.js';
import {
  Captcha,
  Cin,
  Day,
  Email,
  Mobile,
  Password,
  RegistryNumber,
  Username,
  errorAnswers,
} from './schemas.js';
import type { AgencySessions } from './sessions.js';

const Me = Type.Object({
  username: Type.String(),
  customerId: Type.String(),
  service: Type.String(),
  language: Type.String(),
  mustChangePassword: Type.Boolean(),
});
const tags = ['agency'];

/** Registration, CAPTCHA, sign-in and out, password change and recovery. */
export function accountRoutes(
  app: FastifyInstance,
  d: { accounts: AgencyAccounts; sessions: AgencySessions; captcha: ProofOfWorkCaptcha },
): void {
  const anonymous = { public: true, agency: 'anonymous' as const };

  app.get(
    '/api/agency/captcha',
    {
      config: anonymous,
      schema: {
        tags,
        summary: 'A proof-of-work CAPTCHA challenge for registration and recovery (public)',
        response: {
          200: Type.Object({
            algorithm: Type.String(),
            challenge: Type.String(),
            difficulty: Type.Integer(),
            expiresAt: Type.String(),
            bypass: Type.Boolean({
              description: 'METERGATE_CAPTCHA_BYPASS=1: the answer `bypass` is accepted',
            }),
          }),
          ...errorAnswers,
        },
      },
    },
    async () => ({ ...d.captcha.issue(), bypass: d.captcha.bypass }),
  );

  app.post(
    '/api/agency/register',
    {
      config: anonymous,
      schema: {
        tags,
        summary:
          'Create an agency account (public, CAPTCHA): checked against the customer registry; the password goes out by SMS or e-mail',
        body: Type.Object(
          {
            service: Type.Union([Type.Literal('electricity'), Type.Literal('water'), Type.Literal('both')]),
            username: Username,
            email: Email,
            civility: Type.Union([Type.Literal('M'), Type.Literal('Mme')]),
            lastName: Type.String({ minLength: 1, maxLength: 80 }),
            firstName: Type.String({ minLength: 1, maxLength: 80 }),
            mobile: Mobile,
            landline: Type.Optional(Type.Union([Mobile, Type.Literal('')])),
            cin: Cin,
            birthDate: Day,
            customerNumber: RegistryNumber,
            contractNumber: RegistryNumber,
            captcha: Captcha,
            delivery: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('email')])),
            customerType: Type.Optional(Type.Union([Type.Literal('individual'), Type.Literal('business')])),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            username: Type.String(),
            delivery: Type.Union([Type.Literal('sms'), Type.Literal('email')]),
            sentTo: Type.String({ description: 'masked phone number or e-mail address' }),
            firstBillNextMonth: Type.Boolean({
              description: 'contract subscribed this month: its first bill appears next month',
            }),
          }),
          ...errorAnswers,
        },
      },
    },
    async (req, reply) => reply.code(201).send(await d.accounts.register(req.body as RegisterInput)),
  );

  app.post(
    '/api/agency/login',
    {
      config: anonymous,
      schema: {
        tags,
        summary: 'Sign in (public): sets the HttpOnly session cookie',
        body: Type.Object(
          { username: Type.String({ minLength: 1, maxLength: 80 }), password: Password },
          {
            additionalProperties: false,
          },
        ),
        response: { 200: Me, ...errorAnswers },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body as { username: string; password: string };
      const user = await d.accounts.login(username, password, req.ip);
      await d.sessions.open(user.id, req, reply);
      const { id: _id, email: _e, mobile: _m, ...me } = user;
      return me;
    },
  );

  app.post(
    '/api/agency/logout',
    {
      config: anonymous,
      schema: {
        tags,
        summary: 'Sign out (closes the session)',
        response: { 204: Type.Null(), ...errorAnswers },
      },
    },
    async (req, reply) => {
      await d.sessions.close(req, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/agency/me',
    {
      config: { public: true, agency: 'first-sign-in' },
      schema: {
        tags,
        summary: 'The signed-in customer (agency session)',
        response: { 200: Me, ...errorAnswers },
      },
    },
    async (req) => {
      const { id: _id, email: _e, mobile: _m, ...me } = agencyUser(req);
      return me;
    },
  );

  app.post(
    '/api/agency/password',
    {
      config: { public: true, agency: 'first-sign-in' },
      schema: {
        tags,
        summary: 'Replace the password (agency session; required after the first sign-in and after a reset)',
        body: Type.Object(
          { old: Password, new: Password, confirm: Type.Optional(Password) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errorAnswers },
      },
    },
    async (req, reply) => {
      const body = req.body as { old: string; new: string; confirm?: string };
      if (body.confirm !== undefined && body.confirm !== body.new) {
        throw invalidConfirm();
      }
      const user = agencyUser(req);
      await d.accounts.changePassword(user.id, body.old, body.new);
      await d.sessions.closeOthers(user.id, req);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/agency/recover',
    {
      config: anonymous,
      schema: {
        tags,
        summary:
          'Forgotten username or password (public, CAPTCHA): a new temporary password goes to the mobile on file; unlocks the account',
        body: Type.Object(
          { customerNumber: RegistryNumber, cin: Cin, captcha: Captcha },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ accepted: Type.Boolean() }), ...errorAnswers },
      },
    },
    async (req, reply) => {
      await d.accounts.recover(req.body as { customerNumber: string; cin: string; captcha: string });
      return reply.code(202).send({ accepted: true });
    },
  );
}

function invalidConfirm(): GatewayError {
  return new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: 'confirm ≠ new' } });
}
