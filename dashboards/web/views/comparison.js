// @ts-check
/**
 * This period against the same weekdays one year earlier (analytics' comparison), with the
 * over-consumption warning utilities send ("consommation anormalement élevée par rapport à la même
 * période de l'année précédente") when the gateway finds it abnormal.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDay, fmtNumber, t } from '../lib/i18n.js';

/** @param {{ meterId: string }} props */
export function ComparisonPanel({ meterId }) {
  const [c, setC] = useState(/** @type {any} */ (null));
  const [error, setError] = useState('');
  useEffect(() => {
    setC(null);
    setError('');
    api(`/api/meters/${encodeURIComponent(meterId)}/comparison`)
      .then(setC)
      .catch((e) => setError(e.status === 404 || e.status === 403 ? '' : String(e.message)));
  }, [meterId]);
  if (error) return html`<p class="muted">${error}</p>`;
  if (!c) return null;
  const change = c.reference.total > 0 ? (c.current.total / c.reference.total - 1) * 100 : null;
  return html`<section aria-labelledby="cmp-h" data-testid="comparison">
    <h2 id="cmp-h">${t('comparison.title')}</h2>
    <p>
      ${t('comparison.sentence', {
        from: fmtDay(c.current.from),
        to: fmtDay(c.current.to),
        current: fmtNumber(c.current.total, 1),
        reference: fmtNumber(c.reference.total, 1),
        basis: t(`evidence.basis.${c.basis}`),
      })}
      ${change !== null && html` <strong>${t('comparison.change', { pct: `${change >= 0 ? '+' : ''}${fmtNumber(change, 0)}` })}</strong>`}
    </p>
    ${c.abnormal && html`<p class="refusal" role="alert" data-testid="overconsumption">${t('comparison.abnormal')}</p>`}
  </section>`;
}
