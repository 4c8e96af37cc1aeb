import { formatTokenDigits } from '../../../token-engine/index.js';
import { GatewayError, type OutboxMessageInput, type Principal } from '../../platform/index.js';
import type { VendingService } from '../vending/service.js';

/** What the SMS provider adapter posts for one inbound message to the utility's short code. */
export interface InboundSms {
  /** The operator's message id: the purchase is idempotent by it. */
  messageId: string;
  /** The sender's number. */
  from: string;
  text: string;
}

export interface SmsPurchaseAnswer {
  status: 'sold' | 'refused';
  messageId: string;
  /** The reply texted back through the message outbox. */
  reply: string;
  vendId?: string;
  token?: string;
  code?: string;
  replayed?: boolean;
}

const EASTERN_ARABIC = '٠١٢٣٤٥٦٧٨٩';
const westernDigits = (s: string): string => s.replace(/[٠-٩]/g, (d) => String(EASTERN_ARABIC.indexOf(d)));

/** `ACHAT <meter> <amount>` (or BUY / شراء), amount with a dot or a comma; digits Western or Eastern Arabic. */
export function parseSmsPurchase(text: string): { meterId: string; amount: number } | undefined {
  const m =
    /^\s*(ACHAT|BUY|شراء)\s+([A-Za-z0-9][A-Za-z0-9._-]{0,63})\s+([0-9]{1,7}(?:[.,][0-9]{1,2})?)\s*$/iu.exec(
      westernDigits(text),
    );
  if (!m) return undefined;
  return { meterId: m[2]!, amount: Number(m[3]!.replace(',', '.')) };
}

const phoneDigits = (p: string | null | undefined): string => (p ?? '').replace(/\D/g, '').replace(/^00/, '');

type Lang = 'fr' | 'en';
const REPLIES: Record<Lang, Record<'help' | 'unknown' | 'refused' | 'sold', string>> = {
  fr: {
    help: 'Format : ACHAT <compteur> <montant>, par exemple ACHAT M1 50',
    unknown: 'Compteur {meter} inconnu pour ce numéro.',
    refused: 'Achat refusé : {reason}',
    sold: 'Compteur {meter} : {units} kWh pour {money} {currency}. Jeton : {token}',
  },
  en: {
    help: 'Format: ACHAT <meter> <amount>, for example ACHAT M1 50',
    unknown: 'Meter {meter} is unknown for this number.',
    refused: 'Purchase refused: {reason}',
    sold: 'Meter {meter}: {units} kWh for {money} {currency}. Token: {token}',
  },
};
const fill = (s: string, p: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (m, k: string) => (k in p ? String(p[k]) : m));

/**
 * Purchase by SMS (issue 22.7): the SMS provider adapter posts what the customer texted to the
 * short code; the payer is the mobile-wallet channel (the calling vendor key: its float and
 * commission apply); the meter must belong to the sender's number; the sale is idempotent by the
 * operator's message id (requestId `sms-<messageId>` in the channel's scope) and the reply — the
 * token, or why not — goes back by SMS through the message outbox, deduplicated by the same id.
 */
export async function smsPurchase(
  service: VendingService,
  principal: Principal,
  sms: InboundSms,
): Promise<SmsPurchaseAnswer> {
  const parsed = parseSmsPurchase(sms.text);
  const owner = parsed
    ? (
        await service.db.query<{ phone: string | null; language: Lang; customer_id: string }>(
          'SELECT c.phone, c.language, c.id AS customer_id FROM meters m JOIN customers c ON c.id = m.customer_id WHERE m.id = $1',
          [parsed.meterId],
        )
      ).rows[0]
    : undefined;
  const lang: Lang = owner?.language === 'en' ? 'en' : 'fr';
  const t = REPLIES[lang];
  let answer: SmsPurchaseAnswer;
  if (!parsed) {
    answer = { status: 'refused', messageId: sms.messageId, code: 'MG_ERR_HTTP_VALIDATION', reply: t.help };
  } else if (
    !owner ||
    phoneDigits(owner.phone) === '' ||
    phoneDigits(owner.phone) !== phoneDigits(sms.from)
  ) {
    answer = {
      status: 'refused',
      messageId: sms.messageId,
      code: 'MG_ERR_METER_NOT_FOUND',
      reply: fill(t.unknown, { meter: parsed.meterId }),
    };
  } else {
    try {
      const r = await service.vend(principal, {
        meterId: parsed.meterId,
        amount: parsed.amount,
        requestId: `sms-${sms.messageId}`,
      });
      const units = Number(r.receipt.units ?? 0);
      answer = {
        status: 'sold',
        messageId: sms.messageId,
        vendId: r.vendId,
        token: r.token,
        replayed: r.replayed,
        reply: fill(t.sold, {
          meter: r.meterId,
          units,
          money: Number(r.receipt.money),
          currency: r.currency,
          token: r.tokens.map((x) => formatTokenDigits(x.digits)).join(' / '),
        }),
      };
    } catch (err) {
      if (!(err instanceof GatewayError) || err.statusCode >= 500) throw err;
      answer = {
        status: 'refused',
        messageId: sms.messageId,
        code: err.code,
        reply: fill(t.refused, { reason: err.message }),
      };
    }
  }
  const message: OutboxMessageInput = {
    channel: 'sms',
    // E.164 for the outbox: the sender's number as the operator gives it, international form.
    to: `+${phoneDigits(sms.from)}`,
    template: 'sms_purchase',
    language: lang,
    text: answer.reply,
    dedupeKey: `sms-purchase:${principal.vendorId ?? ''}:${sms.messageId}`,
    ...(owner && answer.status === 'sold' ? { customerId: owner.customer_id } : {}),
  };
  await service.sendSms(message);
  return answer;
}

/**
 * A USSD session (issue 22.7) as short-code gateways deliver it: every step posts the whole input
 * so far, `*`-separated (`1*M2*50*1`); the answer starts with CON (menu goes on) or END. The
 * confirmed purchase is the SMS purchase (same checks, same wallet channel, idempotent by the
 * session id, the token both on screen and by SMS).
 */
export async function ussdSession(
  service: VendingService,
  principal: Principal,
  s: { sessionId: string; from: string; text: string },
): Promise<{ response: string; status?: SmsPurchaseAnswer['status'] }> {
  const steps = westernDigits(s.text.trim())
    .split('*')
    .map((x) => x.trim())
    .filter((x, i, all) => x !== '' || i < all.length - 1);
  const [choice, meterId, amount, confirm] = steps;
  if (!choice) return { response: 'CON Électricité prépayée\n1. Acheter du crédit' };
  if (choice !== '1') return { response: 'END Choix inconnu.' };
  if (!meterId) return { response: 'CON Numéro du compteur :' };
  if (!amount) return { response: 'CON Montant (MAD) :' };
  if (!confirm)
    return { response: `CON Acheter ${amount} MAD pour le compteur ${meterId} ?\n1. Oui\n2. Non` };
  if (confirm !== '1') return { response: 'END Achat annulé.' };
  const answer = await smsPurchase(service, principal, {
    messageId: `ussd-${s.sessionId}`,
    from: s.from,
    text: `ACHAT ${meterId} ${amount}`,
  });
  return { response: `END ${answer.reply}`, status: answer.status };
}
