import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { runMigrations, type SqlDatabase } from '../../platform/index.js';
import { AgencyAccounts, type SendMessage } from './accounts.js';
import { ProofOfWorkCaptcha } from './captcha.js';
import { installAgencyGuard } from './guard.js';
import { AGENCY_MIGRATIONS } from './migrations.js';
import { accountRoutes } from './routes-accounts.js';
import { billRoutes } from './routes-bills.js';
import { caseRoutes } from './routes-cases.js';
import { paymentRoutes, type AgencyPayments } from './routes-payments.js';
import { preferenceRoutes } from './routes-preferences.js';
import { meteringRoutes, type AgencyMetering } from './routes-metering.js';
import { CaseDesk } from './cases.js';
import { AgencySessions } from './sessions.js';

/** Where the dashboards plugin serves the agency's pages. */
export const AGENCY_PAGES = '/ui/agency/';

export interface AgencyFeatureOptions {
  db: SqlDatabase;
  /** The message outbox's send (passwords, case updates). */
  send: SendMessage;
  /** METERGATE_CAPTCHA_BYPASS, NODE_ENV, METERGATE_AGENCY_SECRET. */
  env: NodeJS.ProcessEnv;
  /** Where customers reach the gateway (the agency's link in SMS). */
  publicUrl?: string;
  /** Online payment through billing's checkout; without it the agency offers no "pay online". */
  payments?: AgencyPayments;
  /** Consumption, self-readings and alerts (also settable later with useMetering, before HTTP starts). */
  metering?: AgencyMetering;
  now?: () => Date;
}

/** Whether the CAPTCHA bypass is on; refused outright in production. */
export function captchaBypass(env: NodeJS.ProcessEnv): boolean {
  const on = env.METERGATE_CAPTCHA_BYPASS === '1';
  if (on && env.NODE_ENV === 'production') {
    throw new Error(
      'METERGATE_CAPTCHA_BYPASS=1 is for tests and the demo only: refused with NODE_ENV=production',
    );
  }
  return on;
}

/**
 * The online agency as one service for the composition root: its schema, accounts and sessions,
 * and the HTTP routes (`feature`). Constructor assigns; start() migrates (and refuses the CAPTCHA
 * bypass in production).
 */
export class AgencyFeature {
  readonly options: AgencyFeatureOptions;
  readonly captcha: ProofOfWorkCaptcha;
  readonly sessions: AgencySessions;
  readonly accounts: AgencyAccounts;
  readonly now: () => Date;
  readonly cases: CaseDesk;
  metering: AgencyMetering;

  constructor(options: AgencyFeatureOptions) {
    this.options = options;
    const now = options.now ?? (() => new Date());
    this.now = now;
    this.metering = options.metering ?? {};
    this.captcha = new ProofOfWorkCaptcha({
      bypass: options.env.METERGATE_CAPTCHA_BYPASS === '1',
      now: () => now().getTime(),
    });
    const secret = options.env.METERGATE_AGENCY_SECRET;
    this.sessions = new AgencySessions({
      db: options.db,
      secret: secret ? Buffer.from(secret) : randomBytes(32),
      now,
    });
    const agencyUrl = `${(options.publicUrl ?? 'http://127.0.0.1:8080').replace(/\/$/, '')}${AGENCY_PAGES}`;
    this.accounts = new AgencyAccounts({
      db: options.db,
      send: options.send,
      captcha: this.captcha,
      agencyUrl,
      now,
    });
    this.cases = new CaseDesk({ db: options.db, send: options.send, agencyUrl, now });
  }

  /** Metering's services built after the agency (the composition root); call before HTTP starts. */
  useMetering(metering: AgencyMetering): void {
    this.metering = { ...this.metering, ...metering };
  }

  async start(): Promise<this> {
    captchaBypass(this.options.env);
    await runMigrations(this.options.db, AGENCY_MIGRATIONS);
    return this;
  }

  /** Holds no connection or timer of its own. */
  async stop(): Promise<void> {}

  get feature(): { plugin: typeof agencyPlugin; options: { agency: AgencyFeature } } {
    return { plugin: agencyPlugin, options: { agency: this } };
  }
}

/** The agency's HTTP API (and, when present, its static pages under /agence/). */
export async function agencyPlugin(app: FastifyInstance, options: { agency: AgencyFeature }): Promise<void> {
  const { agency } = options;
  installAgencyGuard(app, agency);
  // The agency's pages are browser code served with the dashboards (dashboards/web/agency/).
  for (const path of ['/agence', '/agency'])
    app.get(path, { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.redirect(AGENCY_PAGES),
    );
  accountRoutes(app, agency);
  billRoutes(app, { db: agency.options.db, now: agency.now });
  await caseRoutes(app, { db: agency.options.db, cases: agency.cases, now: agency.now });
  preferenceRoutes(app, { db: agency.options.db });
  meteringRoutes(app, { db: agency.options.db, metering: agency.metering, now: agency.now });
  const { payments } = agency.options;
  if (payments)
    paymentRoutes(app, { db: agency.options.db, payments, send: agency.options.send, now: agency.now });
}
