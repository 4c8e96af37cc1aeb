/**
 * Meter PAN (primary account number): IIN ‖ IAIN ‖ Luhn check digit, 18 digits.
 * IEC 62055-41 MeterPAN: IIN 600727 (STS Association) → 6-digit IIN and 11-digit IAIN; the
 * legacy IIN 0000 → 4-digit IIN and 13-digit IAIN. The check digit is always recomputed.
 */
export const STS_IIN = '600727';
export const LEGACY_IIN = '0000';
export const PAN_DIGITS = 18;

export type ParsedPan =
  | { ok: true; pan: string; iin: string; iain: string; checkDigit: number; legacy: boolean }
  | { ok: false; reason: 'Format' | 'IIN' | 'CheckDigit'; message: string };

/** Luhn (ISO/IEC 7812-1 Annex B) check digit of a digit string. */
export function luhnCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw new TypeError('luhnCheckDigit: digits only');
  let sum = 0;
  // Double every second digit starting with the right-most one (the check digit goes to its right).
  for (let i = digits.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Parse an 18-digit PAN (or the 17 digits IIN ‖ IAIN without check digit). A wrong check digit
 * is refused rather than silently corrected: it usually means a mistyped meter number.
 */
export function parsePan(pan: string): ParsedPan {
  if (typeof pan !== 'string' || !/^\d{17,18}$/.test(pan)) {
    return { ok: false, reason: 'Format', message: 'PAN must be 18 digits (IIN, IAIN, check digit)' };
  }
  const body = pan.slice(0, 17);
  const legacy = body.startsWith(LEGACY_IIN);
  if (!legacy && !body.startsWith(STS_IIN)) {
    return {
      ok: false,
      reason: 'IIN',
      message: `PAN must start with IIN ${STS_IIN} or the legacy ${LEGACY_IIN}`,
    };
  }
  const checkDigit = luhnCheckDigit(body);
  if (pan.length === 18 && Number(pan[17]) !== checkDigit) {
    return {
      ok: false,
      reason: 'CheckDigit',
      message: `PAN check digit should be ${checkDigit}, got ${pan[17]}`,
    };
  }
  const iinLen = legacy ? LEGACY_IIN.length : STS_IIN.length;
  return {
    ok: true,
    pan: body + String(checkDigit),
    iin: body.slice(0, iinLen),
    iain: body.slice(iinLen),
    checkDigit,
    legacy,
  };
}
