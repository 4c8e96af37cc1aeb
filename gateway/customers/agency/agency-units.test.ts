import { describe, expect, it } from 'vitest';
import { AgencyFeature, captchaBypass } from './agency-feature.js';
import { checkAttachment, MAX_ATTACHMENT_BYTES } from './attachments.js';
import { hasLeadingZeroBits, ProofOfWorkCaptcha, solveCaptcha } from './captcha.js';
import { monthlyTotals, type MyBill } from './my-bills.js';
import { generatePassword, hashPassword, passwordWeakness, verifyPassword } from './passwords.js';

describe('agency passwords', () => {
  it('hashes with scrypt and a salt, verifies, and refuses a wrong one', async () => {
    const a = await hashPassword('Tres-Solide-2026');
    const b = await hashPassword('Tres-Solide-2026');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('Tres-Solide-2026', a)).toBe(true);
    expect(await verifyPassword('tres-solide-2026', a)).toBe(false);
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
  });

  it('generates strong one-time passwords', () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(12);
      expect(passwordWeakness(p, { username: 'someone' })).toBeUndefined();
    }
  });

  it.each([
    ['short', 'Ab1!'],
    ['one class', 'abcdefghijklmn'],
    ['two classes', 'abcdefghij1234'],
    ['repeats', 'Aaaaa-12345678'],
    ['username', 'xSALMA.b-2026!'],
    ['old one', 'Ancien-Secret-1'],
  ])('refuses a weak password (%s)', (_why, pw) => {
    expect(passwordWeakness(pw, { username: 'salma.b', old: 'Ancien-Secret-1' })).toBeDefined();
  });
});

describe('agency CAPTCHA (proof of work)', () => {
  it('accepts a solved challenge once, refuses a forged, expired or replayed one', () => {
    let now = 1_000_000;
    const captcha = new ProofOfWorkCaptcha({ bypass: false, difficulty: 8, now: () => now });
    const c = captcha.issue();
    const answer = solveCaptcha(c);
    expect(hasLeadingZeroBits(answer, 8)).toBe(true);
    expect(captcha.verify('bypass')).toBe(false);
    expect(captcha.verify(answer.replace(/\.[^.:]+:/, '.AAAAAAAAAAAAAAAAAAAAAA:'))).toBe(false);
    expect(captcha.verify(answer)).toBe(true);
    expect(captcha.verify(answer)).toBe(false);
    const late = captcha.issue();
    now += 11 * 60_000;
    expect(captcha.verify(solveCaptcha(late))).toBe(false);
  });

  it('accepts "bypass" only when enabled', () => {
    expect(new ProofOfWorkCaptcha({ bypass: true }).verify('bypass')).toBe(true);
  });

  it('METERGATE_CAPTCHA_BYPASS=1 is refused with NODE_ENV=production: the agency (and the gateway) do not start', async () => {
    const env = { METERGATE_CAPTCHA_BYPASS: '1', NODE_ENV: 'production' };
    expect(() => captchaBypass(env)).toThrow(/refused with NODE_ENV=production/);
    expect(captchaBypass({ METERGATE_CAPTCHA_BYPASS: '1', NODE_ENV: 'test' })).toBe(true);
    expect(captchaBypass({ NODE_ENV: 'production' })).toBe(false);
    const agency = new AgencyFeature({
      db: {} as never,
      send: async () => ({ id: 'x', status: 'queued' }),
      env,
    });
    await expect(agency.start()).rejects.toThrow(/METERGATE_CAPTCHA_BYPASS/);
  });
});

describe('agency attachments', () => {
  const pdf = Buffer.from('%PDF-1.4 ...');
  it('recognises PDF, PNG and JPEG by content and renames safely', () => {
    expect(checkAttachment('../../etc/facture été.PDF', pdf)).toMatchObject({
      contentType: 'application/pdf',
      filename: '_etc_facture_e_te_.pdf',
    });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);
    expect(checkAttachment('photo.pdf', png).filename).toBe('photo.png');
    expect(checkAttachment(undefined, Buffer.from([0xff, 0xd8, 0xff, 0xe0])).contentType).toBe('image/jpeg');
  });

  it.each([
    ['HTML renamed .pdf', '<!doctype html><html></html>'],
    ['SVG renamed .pdf', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['BOM then PDF', '\ufeff%PDF-1.4'],
  ])('refuses %s', (_why, text) => {
    expect(() => checkAttachment('facture.pdf', Buffer.from(text))).toThrow(
      expect.objectContaining({ code: 'MG_ERR_AGENCY_BAD_ATTACHMENT' }),
    );
  });

  it('refuses an empty or oversized file', () => {
    expect(() => checkAttachment('a.pdf', Buffer.alloc(0))).toThrow();
    const big = Buffer.alloc(MAX_ATTACHMENT_BYTES + 1);
    pdf.copy(big);
    expect(() => checkAttachment('a.pdf', big)).toThrow(
      expect.objectContaining({ code: 'MG_ERR_AGENCY_ATTACHMENT_TOO_LARGE' }),
    );
  });
});

describe('agency monthly totals (the 6-month chart)', () => {
  const bill = (periodFrom: string, amountTTC: number, consumption: number, kind = 'periodic') =>
    ({ periodFrom, amountTTC, consumption, kind }) as MyBill;
  it('gives six months ending with the last, across a year boundary, credit notes left out', () => {
    const months = monthlyTotals(
      [bill('2026-02-01', 500, 10), bill('2025-12-01', 300, 7), bill('2026-02-01', -100, 0, 'credit-note')],
      '2026-02',
    );
    expect(months.map((m) => m.month)).toEqual([
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
    ]);
    expect(months[5]).toEqual({ month: '2026-02', amountTTC: 500, consumption: 10 });
    expect(months[3]).toEqual({ month: '2025-12', amountTTC: 300, consumption: 7 });
  });
});
