import type { ErrorLanguage, MessageOutbox, SqlExecutor } from '../../platform/index.js';

type Phase = 'start' | 'restore';

const TEXTS: Record<ErrorLanguage, Record<Phase, (o: { transformer: string; at: string }) => string>> = {
  fr: {
    start: (o) =>
      `Coupure de courant en cours sur votre secteur (poste ${o.transformer}) depuis ${o.at}. Nos équipes sont informées.`,
    restore: (o) =>
      `Le courant est rétabli sur votre secteur (poste ${o.transformer}) depuis ${o.at}. Merci de votre patience.`,
  },
  ar: {
    start: (o) =>
      `انقطاع التيار الكهربائي في منطقتكم (المحوّل ${o.transformer}) منذ ${o.at}. فرقنا على علم بذلك.`,
    restore: (o) => `عاد التيار الكهربائي في منطقتكم (المحوّل ${o.transformer}) منذ ${o.at}. شكراً على صبركم.`,
  },
  en: {
    start: (o) => `Power cut in your area (transformer ${o.transformer}) since ${o.at}. Our teams are aware.`,
    restore: (o) =>
      `Power is back in your area (transformer ${o.transformer}) since ${o.at}. Thank you for your patience.`,
  },
};

interface Contact {
  customerId: string;
  language: ErrorLanguage;
  sms?: string;
  email?: string;
}

const asLanguage = (v: unknown): ErrorLanguage => (v === 'ar' || v === 'en' ? v : 'fr');

/**
 * Who of these customers chose to be told, and where: their notification preferences when they set
 * some, else the ledger's `notify` flags with the customer's phone and e-mail.
 */
async function contacts(db: SqlExecutor, customerIds: readonly string[]): Promise<Contact[]> {
  if (!customerIds.length) return [];
  const { rows } = await db.query<{
    id: string;
    doc: Record<string, unknown>;
    prefs: Record<string, unknown> | null;
  }>(
    `SELECT c.id, to_jsonb(c) AS doc,
            (SELECT to_jsonb(p) FROM notify_preferences p WHERE p.customer_id = c.id) AS prefs
       FROM customers c WHERE c.id = ANY($1)`,
    [customerIds],
  );
  return rows.map(({ id, doc, prefs }) => {
    if (prefs) {
      const channels = (prefs.channels as string[] | null) ?? [];
      const muted = (prefs.muted_kinds as string[] | null) ?? [];
      const on = (c: string) => channels.includes(c) && !muted.includes('outage');
      return {
        customerId: id,
        language: asLanguage(prefs.language),
        ...(on('sms') && typeof prefs.sms_to === 'string' ? { sms: prefs.sms_to } : {}),
        ...(on('email') && typeof prefs.email_to === 'string' ? { email: prefs.email_to } : {}),
      };
    }
    const notify = (doc.notify as { sms?: boolean; email?: boolean } | null) ?? {};
    const phone = doc.mobile ?? doc.phone;
    return {
      customerId: id,
      language: asLanguage(doc.language),
      ...(notify.sms && typeof phone === 'string' && phone ? { sms: phone } : {}),
      ...(notify.email && typeof doc.email === 'string' && doc.email ? { email: doc.email } : {}),
    };
  });
}

/**
 * One SMS and/or e-mail per affected customer at the start and one at restoration, through the
 * message outbox; the dedupe key (outage, phase, customer) makes a repeated call send nothing twice.
 */
export async function sendOutageNotices(
  deps: { db: SqlExecutor; outbox: Pick<MessageOutbox, 'send'> },
  outage: { id: string; transformer: string; customers: readonly string[] },
  phase: Phase,
  at: Date,
): Promise<number> {
  let sent = 0;
  const when = at.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  for (const c of await contacts(deps.db, outage.customers)) {
    const text = TEXTS[c.language][phase]({ transformer: outage.transformer, at: when });
    const template = phase === 'start' ? 'outage_started' : 'outage_restored';
    for (const [channel, to] of [
      ['sms', c.sms],
      ['email', c.email],
    ] as const) {
      if (!to) continue;
      await deps.outbox.send({
        channel,
        to,
        template,
        language: c.language,
        text,
        ...(channel === 'email' ? { subject: text.split('.')[0] } : {}),
        customerId: c.customerId,
        dedupeKey: `outage-${outage.id}-${phase}-${c.customerId}`,
        data: { outage: outage.id, transformer: outage.transformer, phase },
      });
      sent++;
    }
  }
  return sent;
}
