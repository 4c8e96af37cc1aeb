// @ts-check
/**
 * What the reconciliation of mobile teams' offline sales flagged (`GET /api/offline/anomalies`),
 * for operators: per device, per allowance (one provisioning round), each flagged sale with its
 * sequence, meter and money; a price mismatch shows the units the device sold against those the
 * centre's pricing gives. Loaded when opened: the console's counter work does not wait for it.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, fmtMoney, fmtNumber, t } from '../lib/i18n.js';

export const ANOMALY_KINDS = ['price-mismatch', 'overspend', 'conflict', 'unknown-meter', 'tid-used'];

/** @param {string} kind */
export const anomaliesPath = (kind) =>
  `/api/offline/anomalies${kind ? `?kind=${encodeURIComponent(kind)}` : ''}`;

export function OfflineAnomalies() {
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState('');
  const [data, setData] = useState(/** @type {any} */ (null));
  const [error, setError] = useState('');
  const [reload, setReload] = useState(0);

  useEffect(() => {
    if (!open) return undefined;
    let alive = true;
    setData(null);
    setError('');
    api(anomaliesPath(kind))
      .then((r) => alive && setData(r))
      .catch((e) => alive && setError(String(e.message)));
    return () => {
      alive = false;
    };
  }, [open, kind, reload]);

  /** Allowances by device, in the answer's order (devices sorted, latest round first). */
  const devices = /** @type {Map<string, any[]>} */ (new Map());
  for (const a of data?.allowances ?? []) {
    const list = devices.get(a.deviceId) ?? [];
    list.push(a);
    devices.set(a.deviceId, list);
  }

  return html`<details
    class="card no-print"
    data-testid="offline-anomalies"
    onToggle=${(/** @type {any} */ e) => setOpen(e.currentTarget.open)}
  >
    <summary><strong>${t('offline.title')}</strong></summary>
    <p class="muted">${t('offline.intro')}</p>
    <label for="offline-kind">${t('offline.kind')}</label>
    <select
      id="offline-kind"
      value=${kind}
      onChange=${(/** @type {any} */ e) => setKind(e.currentTarget.value)}
    >
      <option value="">${t('offline.kind.all')}</option>
      ${ANOMALY_KINDS.map((k) => html`<option value=${k}>${t(`offline.kind.${k}`)}</option>`)}
    </select>
    <button type="button" class="secondary small" onClick=${() => setReload((n) => n + 1)}>
      ${t('offline.refresh')}
    </button>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${open && !data && !error && html`<p aria-busy="true">${t('common.loading')}</p>`}
    ${data && !devices.size && html`<p data-testid="offline-none">${t('offline.none')}</p>`}
    ${data?.truncated && html`<p class="warning">${t('offline.truncated')}</p>`}
    ${[...devices].map(
      ([deviceId, allowances]) =>
        html`<section key=${deviceId} data-testid="offline-device" data-device=${deviceId}>
          <h3>${t('offline.device', { id: deviceId })}</h3>
          ${allowances.map((a) => html`<${AllowanceAnomalies} key=${a.allowanceId} allowance=${a} />`)}
        </section>`,
    )}
  </details>`;
}

/** @param {{ allowance: any }} props */
function AllowanceAnomalies({ allowance: a }) {
  return html`<div data-testid="offline-allowance" data-allowance=${a.allowanceId}>
    <p>
      ${t('offline.allowance', {
        vendor: a.vendorId,
        date: fmtDateTime(a.createdAt),
        spent: fmtMoney(a.spent),
        amount: fmtMoney(a.amount),
      })}
      ${' '}<span class=${`badge ${a.status === 'open' ? 'ok' : 'off'}`}
        >${t(`offline.status.${a.status}`)}</span
      >
    </p>
    <div class="table-scroll">
      <table class="data">
        <thead>
          <tr>
            <th scope="col">${t('offline.seq')}</th>
            <th scope="col">${t('offline.kind')}</th>
            <th scope="col">${t('common.meter')}</th>
            <th scope="col" class="num">${t('common.amount')}</th>
            <th scope="col">${t('offline.detail')}</th>
          </tr>
        </thead>
        <tbody>
          ${a.anomalies.map(
            (/** @type {any} */ n) =>
              html`<tr key=${`${n.seq}-${n.kind}`} data-testid="offline-anomaly" data-kind=${n.kind}>
                <td class="num">${n.seq}</td>
                <td><span class="badge warn">${t(`offline.kind.${n.kind}`)}</span></td>
                <td>${n.meterId ?? '—'}</td>
                <td class="num">${n.money === null || n.money === undefined ? '—' : fmtMoney(n.money)}</td>
                <td>${detail(n)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </div>`;
}

/** The anomaly's own facts, in words. @param {any} n */
function detail(n) {
  if (n.kind === 'price-mismatch')
    return html`<span data-testid="price-mismatch">
      ${t('offline.units', {
        sold: fmtNumber(n.units, 1),
        expected: fmtNumber(n.expectedUnits, 1),
      })}
    </span>`;
  if (n.kind === 'overspend')
    return t(n.covered ? 'offline.excessCovered' : 'offline.excessNotCovered', {
      excess: fmtMoney(n.excess),
    });
  if (n.kind === 'tid-used') return t('offline.tidUsed', { tid: String(n.tid ?? '—') });
  if (n.kind === 'conflict') return t('offline.conflict');
  return t('offline.unknownMeter');
}
