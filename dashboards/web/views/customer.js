// @ts-check
/* global URLSearchParams */
/**
 * Customer self-service, modelled on utilities' e-agencies: the last six months as a bar chart and
 * a table, the statement (purchases, advances, recoveries), a self-reading form whose refusal is
 * shown in plain words, and downloads of the history as CSV, XLSX and PDF.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api, download, paths } from '../lib/api.js';
import { Chart } from '../lib/chart.js';
import { html } from '../lib/html.js';
import { fmtMonth, fmtNumber, getLang, t } from '../lib/i18n.js';
import { OBIS } from '../lib/obis.js';
import { consumptionRows, isoDay, listOf } from '../lib/series.js';
import { ComparisonPanel } from './comparison.js';
import { EstimatesPanel } from './estimates.js';
import { StatementPanel } from './statement.js';
import { SelfReadingForm } from './self-reading.js';

const MONTHS = 6;

/** The first day of the month `MONTHS - 1` months ago and the months of the window. */
function window6() {
  const now = new Date();
  const months = [];
  for (let i = MONTHS - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    months.push(d.toISOString().slice(0, 7));
  }
  return { from: `${months[0]}-01`, to: isoDay(now), months };
}

/** @param {{ arg: string, session: { role: string, customerId?: string } }} props */
export function CustomerView({ arg, session }) {
  const [meters, setMeters] = useState(/** @type {string[]|null} */ (null));
  const [meterId, setMeterId] = useState(arg || '');
  const [customerId, setCustomerId] = useState(session.customerId ?? '');
  const [monthly, setMonthly] = useState(/** @type {{ month: string, value: number }[]} */ ([]));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');

  useEffect(() => {
    api(paths.meters)
      .then((list) => {
        const ids = listOf(list).map((m) => String(m.id));
        setMeters(ids);
        if (!meterId && ids.length) setMeterId(ids[0]);
      })
      .catch((e) => setError(String(e.message)));
  }, []);

  useEffect(() => {
    if (!meterId) return;
    const w = window6();
    api(paths.consumption(meterId, { period: 'month', from: w.from, to: w.to }))
      .then((r) => {
        const byMonth = new Map(consumptionRows(r).map((x) => [x.key.slice(0, 7), x.value]));
        setMonthly(w.months.map((m) => ({ month: m, value: byMonth.get(m) ?? 0 })));
      })
      .catch((e) => setError(String(e.message)));
  }, [meterId]);

  /** @param {'csv'|'xlsx'|'pdf'} fmt */
  async function exportAs(fmt) {
    setBusy(fmt);
    try {
      const q = new URLSearchParams({ months: String(MONTHS), lang: getLang() });
      await download(
        `/api/meters/${encodeURIComponent(meterId)}/exports/consumption.${fmt}?${q}`,
        `consommation-${meterId}.${fmt}`,
      );
    } catch (e) {
      setError(String(/** @type {any} */ (e).message));
    } finally {
      setBusy('');
    }
  }

  const chartData = [monthly.map((_, i) => i), monthly.map((m) => m.value)];
  return html`<section>
    <h1>${t('customer.title')}</h1>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    <div class="cols">
      <div>
        <label for="cust-meter">${t('customer.meter')}</label>
        <select
          id="cust-meter"
          value=${meterId}
          onChange=${(/** @type {any} */ e) => setMeterId(e.currentTarget.value)}
        >
          ${(meters ?? []).map((id) => html`<option value=${id}>${id}</option>`)}
        </select>
        ${meters && !meters.length && html`<p class="muted">${t('customer.noMeters')}</p>`}
      </div>
      ${
        session.role !== 'customer' &&
        html`<div>
          <label for="cust-id">${t('customer.customerId')}</label>
          <input
            id="cust-id"
            value=${customerId}
            onChange=${(/** @type {any} */ e) => setCustomerId(e.currentTarget.value.trim())}
          />
        </div>`
      }
    </div>
    ${
      meterId &&
      html`<${ComparisonPanel} meterId=${meterId} />
        <h2>${t('customer.history')}</h2>
        <${Chart}
          testid="months-chart"
          title=${t('customer.chart')}
          data=${chartData}
          time=${false}
          xLabel=${t('common.month')}
          xValues=${(/** @type {any} */ _u, /** @type {number[]} */ splits) => splits.map((i) => (monthly[i] ? fmtMonth(monthly[i].month) : ''))}
          series=${[{ label: t('customer.consumption'), color: '#1f7a4d', bars: true }]}
          axes=${[{ label: 'kWh' }]}
        />
        <table class="data" data-testid="months-table">
          <caption class="sr-only">
            ${t('customer.history')}
          </caption>
          <thead>
            <tr>
              <th scope="col">${t('common.month')}</th>
              <th scope="col" class="num">${t('customer.consumption')}</th>
            </tr>
          </thead>
          <tbody>
            ${monthly.map(
              (m) =>
                html`<tr key=${m.month}>
                  <th scope="row">${fmtMonth(m.month)}</th>
                  <td class="num">${fmtNumber(m.value, 2)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        <h2>${t('customer.exports')}</h2>
        <div class="no-print">
          ${
            /** @type {const} */ (['csv', 'xlsx', 'pdf']).map(
              (f) =>
                html`<button
                  type="button"
                  class="secondary"
                  data-export=${f}
                  disabled=${busy === f}
                  onClick=${() => exportAs(f)}
                >
                  ${f.toUpperCase()}
                </button>`,
            )
          }
        </div>
        <${EstimatesPanel} meterId=${meterId} />
        <${SelfReadingForm} meterId=${meterId} obis=${OBIS.energyImport} />`
    }
    ${customerId && html`<${StatementPanel} customerId=${customerId} />`}
  </section>`;
}
