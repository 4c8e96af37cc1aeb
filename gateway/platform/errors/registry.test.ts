import { describe, expect, it } from 'vitest';
import { GatewayError, defineErrors, pickLanguage, renderErrorMessage } from './registry.js';

const TEST = defineErrors({
  MG_ERR_REGISTRYTEST_THING_MISSING: {
    status: 404,
    fr: 'aucun objet {id}',
    ar: 'لا يوجد عنصر {id}',
    en: 'no thing {id}',
  },
});

describe('error registry', () => {
  it('renders a declared code in each language with its params', () => {
    const err = new GatewayError('MG_ERR_REGISTRYTEST_THING_MISSING', { params: { id: 'M-1' } });
    expect(err.statusCode).toBe(404);
    expect(err.message).toBe('no thing M-1');
    expect(err.answer('fr')).toEqual({
      statusCode: 404,
      code: 'MG_ERR_REGISTRYTEST_THING_MISSING',
      message: 'aucun objet M-1',
    });
    expect(err.answer('ar').message).toBe('لا يوجد عنصر M-1');
    expect(Object.keys(TEST)).toEqual(['MG_ERR_REGISTRYTEST_THING_MISSING']);
  });

  it('refuses an undeclared code, a bad code, a missing language and a conflicting redeclaration', () => {
    expect(() => new GatewayError('MG_ERR_REGISTRYTEST_NEVER_DECLARED')).toThrow(/undeclared/);
    expect(() => defineErrors({ BAD: { status: 400, fr: 'a', ar: 'b', en: 'c' } })).toThrow(/MG_ERR_/);
    expect(() =>
      defineErrors({ MG_ERR_REGISTRYTEST_NO_AR: { status: 400, fr: 'a', ar: ' ', en: 'c' } }),
    ).toThrow(/no ar message/);
    expect(() =>
      defineErrors({ MG_ERR_REGISTRYTEST_THING_MISSING: { status: 410, fr: 'x', ar: 'y', en: 'z' } }),
    ).toThrow(/twice/);
    expect(() =>
      defineErrors({ MG_ERR_REGISTRYTEST_OK: { status: 200, fr: 'x', ar: 'y', en: 'z' } }),
    ).toThrow(/not an HTTP error status/);
  });

  it('keeps unknown placeholders visible and picks the caller language', () => {
    expect(renderErrorMessage('MG_ERR_REGISTRYTEST_THING_MISSING', 'en')).toBe('no thing {id}');
    expect(pickLanguage(undefined, 'ar-MA,fr;q=0.8')).toBe('ar');
    expect(pickLanguage('en', 'ar')).toBe('en');
    expect(pickLanguage(undefined, 'de-DE')).toBe('fr');
  });
});
