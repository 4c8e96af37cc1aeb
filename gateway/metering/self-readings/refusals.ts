import { ERROR_LANGUAGES, renderErrorMessage, type ErrorLanguage } from '../../platform/index.js';
import { SELF_READING_ERRORS } from './errors.js';

/**
 * Why a self-reading ("Auto-Relevé") is refused: a declared code (./errors.ts) and its message in
 * French, Arabic and English, with the numbers formatted for each language.
 */
export const REFUSAL_CODES = Object.keys(SELF_READING_ERRORS) as RefusalCode[];
export type RefusalCode = keyof typeof SELF_READING_ERRORS;

export interface Refusal {
  code: RefusalCode;
  message: Record<ErrorLanguage, string>;
  detail?: Record<string, number | string>;
}

const LOCALES: Record<ErrorLanguage, string> = { fr: 'fr-FR', ar: 'ar-MA', en: 'en-GB' };

export function refusal(code: RefusalCode, detail: Record<string, number | string> = {}): Refusal {
  const message = {} as Record<ErrorLanguage, string>;
  for (const lang of ERROR_LANGUAGES) {
    const fmt = new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 3 });
    const params = Object.fromEntries(
      Object.entries(detail).map(([k, v]) => [k, typeof v === 'number' ? fmt.format(v) : v]),
    );
    message[lang] = renderErrorMessage(code, lang, params);
  }
  return { code, message, ...(Object.keys(detail).length ? { detail } : {}) };
}
