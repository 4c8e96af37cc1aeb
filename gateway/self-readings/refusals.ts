/**
 * Why a self-reading ("Auto-Relevé") is refused: a stable code and a message in the customer's
 * language (French and English), with the numbers that make it actionable.
 */
export const REFUSAL_CODES = [
  'MG_ERR_SELF_READING_INVALID_INDEX',
  'MG_ERR_SELF_READING_IN_FUTURE',
  'MG_ERR_SELF_READING_TOO_OLD',
  'MG_ERR_SELF_READING_BELOW_PREVIOUS',
  'MG_ERR_SELF_READING_ABOVE_NEXT',
  'MG_ERR_SELF_READING_IMPLAUSIBLE_JUMP',
  'MG_ERR_SELF_READING_UNKNOWN_METER',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface Refusal {
  code: RefusalCode;
  message: { fr: string; en: string };
  detail?: Record<string, number | string>;
}

const fmt = (lang: 'fr' | 'en', n: number) =>
  new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 3 }).format(n);

export function refusal(code: RefusalCode, detail: Record<string, number | string> = {}): Refusal {
  const d = (lang: 'fr' | 'en', k: string) => {
    const v = detail[k];
    return typeof v === 'number' ? fmt(lang, v) : String(v ?? '');
  };
  const m: Record<RefusalCode, { fr: string; en: string }> = {
    MG_ERR_SELF_READING_INVALID_INDEX: {
      fr: 'L’index doit être un nombre positif, tel qu’affiché sur le compteur.',
      en: 'The index must be a positive number, as shown on the meter.',
    },
    MG_ERR_SELF_READING_IN_FUTURE: {
      fr: 'La date du relevé est dans le futur.',
      en: 'The reading date is in the future.',
    },
    MG_ERR_SELF_READING_TOO_OLD: {
      fr: `Le relevé est trop ancien (plus de ${d('fr', 'maxAgeDays')} jours).`,
      en: `The reading is too old (more than ${d('en', 'maxAgeDays')} days).`,
    },
    MG_ERR_SELF_READING_BELOW_PREVIOUS: {
      fr: `L’index ${d('fr', 'index')} est inférieur au dernier index connu (${d('fr', 'previousIndex')} le ${d('fr', 'previousAt')}). Vérifiez le chiffre saisi.`,
      en: `Index ${d('en', 'index')} is below the last known index (${d('en', 'previousIndex')} on ${d('en', 'previousAt')}). Please check the figure.`,
    },
    MG_ERR_SELF_READING_ABOVE_NEXT: {
      fr: `L’index ${d('fr', 'index')} est supérieur à un index relevé plus tard (${d('fr', 'nextIndex')} le ${d('fr', 'nextAt')}).`,
      en: `Index ${d('en', 'index')} is above an index read later (${d('en', 'nextIndex')} on ${d('en', 'nextAt')}).`,
    },
    MG_ERR_SELF_READING_IMPLAUSIBLE_JUMP: {
      fr: `L’index implique ${d('fr', 'consumption')} ${d('fr', 'unit')} en ${d('fr', 'days')} jour(s), au-delà du maximum plausible (${d('fr', 'maximum')} ${d('fr', 'unit')}). Vérifiez le chiffre saisi (décimales ?).`,
      en: `The index implies ${d('en', 'consumption')} ${d('en', 'unit')} in ${d('en', 'days')} day(s), above the plausible maximum (${d('en', 'maximum')} ${d('en', 'unit')}). Please check the figure (decimals?).`,
    },
    MG_ERR_SELF_READING_UNKNOWN_METER: {
      fr: 'Aucun relevé n’est connu pour ce compteur : contactez le Centre de Relation Clientèle.',
      en: 'No reading is known for this meter: please contact customer service.',
    },
  };
  return { code, message: m[code], ...(Object.keys(detail).length ? { detail } : {}) };
}
