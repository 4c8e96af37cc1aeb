/**
 * The gateway's one error registry (fastify's `lib/errors.js` is the model): every code is declared
 * once, with its HTTP status and its message in French, Arabic and English. Domains declare their
 * codes in their own `errors.ts` through `defineErrors`, which registers them here; the HTTP error
 * handler answers every error in one shape, `{ statusCode, code, message, details? }`, in the
 * caller's language. Messages may hold `{name}` placeholders filled from the error's params; params
 * never carry key material or passwords (callers pass ids, amounts and field names only).
 */
export type Language = 'fr' | 'ar' | 'en';
export const LANGUAGES: readonly Language[] = ['fr', 'ar', 'en'];

export interface ErrorDefinition {
  status: number;
  fr: string;
  ar: string;
  en: string;
}

export type ErrorParams = Record<string, string | number>;

/** The one shape of every error answer. */
export interface ErrorAnswer {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
}

const CODE = /^MG_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*$/;
const REGISTRY = new Map<string, ErrorDefinition>();

/**
 * Declares a module's codes. The same code declared twice with different definitions is a
 * programming error and fails at load time, so one meaning keeps one code.
 */
export function defineErrors<const T extends Record<string, ErrorDefinition>>(defs: T): T {
  for (const [code, def] of Object.entries(defs)) {
    if (!CODE.test(code)) throw new Error(`error code ${code} is not MG_ERR_<AREA>_<WHAT>`);
    if (!Number.isInteger(def.status) || def.status < 400 || def.status > 599) {
      throw new Error(`error code ${code}: status ${def.status} is not an HTTP error status`);
    }
    for (const lang of LANGUAGES) {
      if (!def[lang]?.trim()) throw new Error(`error code ${code} has no ${lang} message`);
    }
    const known = REGISTRY.get(code);
    if (known && JSON.stringify(known) !== JSON.stringify(def)) {
      throw new Error(`error code ${code} is declared twice with different definitions`);
    }
    REGISTRY.set(code, def);
  }
  return defs;
}

export function errorDefinition(code: string): ErrorDefinition | undefined {
  return REGISTRY.get(code);
}

/** Every code declared so far (the modules that declare them must have been imported). */
export function declaredErrorCodes(): string[] {
  return [...REGISTRY.keys()].sort();
}

export function renderErrorMessage(code: string, lang: Language, params?: ErrorParams): string {
  const def = REGISTRY.get(code);
  if (!def) return code;
  return def[lang].replace(/\{(\w+)\}/g, (whole, name: string) =>
    params && name in params ? String(params[name]) : whole,
  );
}

/**
 * An error a route or service throws for a declared code. `message` is the English text (for logs
 * and non-HTTP callers); the HTTP answer is rendered in the caller's language from the registry.
 */
export class GatewayError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly params: ErrorParams | undefined;
  readonly details: unknown;

  constructor(code: string, options: { params?: ErrorParams; details?: unknown; cause?: unknown } = {}) {
    const def = REGISTRY.get(code);
    if (!def) throw new Error(`undeclared error code ${code}`);
    super(renderErrorMessage(code, 'en', options.params), { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.statusCode = def.status;
    this.params = options.params;
    this.details = options.details;
  }

  answer(lang: Language): ErrorAnswer {
    const body: ErrorAnswer = {
      statusCode: this.statusCode,
      code: this.code,
      message: renderErrorMessage(this.code, lang, this.params),
    };
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

/**
 * The caller's language: an explicit `lang` (query or cookie) first, then the first supported tag
 * of Accept-Language (`ar-MA` → ar), French by default as in the utilities' own portals.
 */
export function pickLanguage(explicit: string | undefined, acceptLanguage: string | undefined): Language {
  const direct = explicit?.slice(0, 2).toLowerCase();
  if (direct && (LANGUAGES as readonly string[]).includes(direct)) return direct as Language;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if ((LANGUAGES as readonly string[]).includes(tag)) return tag as Language;
  }
  return 'fr';
}
