import { describe, expect, it } from 'vitest';
import { declaredErrorCodes } from '../support/all-error-codes.js';

// Browser module, plain JavaScript: loaded through a variable path (no type checking of browser code).
const CATALOGUE = '../../dashboards/web/lib/error-messages.js';
const { ERROR_MESSAGES } = (await import(CATALOGUE)) as {
  ERROR_MESSAGES: Record<'fr' | 'ar' | 'en', Record<string, string>>;
};
const API = '../../dashboards/web/lib/api.js';

describe('the dashboards’ error catalogue', () => {
  it('has French, Arabic and English text for every error code the gateway declares', () => {
    const codes = declaredErrorCodes();
    expect(codes.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const code of codes) {
      for (const lang of ['fr', 'ar', 'en'] as const) {
        if (!ERROR_MESSAGES[lang][code]?.trim()) missing.push(`${lang} ${code}`);
      }
      if (ERROR_MESSAGES.ar[code] && !/[\u0600-\u06FF]/.test(ERROR_MESSAGES.ar[code]))
        missing.push(`ar ${code} is not Arabic`);
    }
    // Regenerate with `npx tsx scripts/gen-ui-error-catalogue.ts`.
    expect(missing).toEqual([]);
  });

  it('turns an answer into the message in the page’s language: the server’s, else the catalogue’s', async () => {
    const { errorMessage } = (await import(API)) as {
      errorMessage: (
        body: unknown,
        lang: 'fr' | 'ar' | 'en',
        fallback: string,
      ) => { code: string; message: string };
    };
    const code = declaredErrorCodes()[0]!;
    expect(errorMessage({ statusCode: 400, code, message: 'du serveur' }, 'fr', 'Bad Request')).toEqual({
      code,
      message: 'du serveur',
    });
    expect(errorMessage({ statusCode: 400, code }, 'ar', 'Bad Request').message).toBe(
      ERROR_MESSAGES.ar[code]!.replace(/\{\w+\}/g, '…'),
    );
    expect(errorMessage({ error: { code, message: 'old shape' } }, 'fr', 'x')).toEqual({
      code,
      message: 'old shape',
    });
    expect(errorMessage(null, 'fr', 'Bad Gateway')).toEqual({ code: 'HTTP_ERROR', message: 'Bad Gateway' });
  });
});
