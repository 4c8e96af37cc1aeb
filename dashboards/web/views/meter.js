// @ts-check
/**
 * Meter view: live power and voltage (initial window from the readings API, then the live
 * stream), energy register, daily consumption with the same weekdays a year earlier (364 days,
 * like the analytics comparison), anomalies with evidence, prepaid credit and token history.
 */
import { useEffect, useRef, useState } from '../vendor/preact-hooks.js';
import { api, paths } from '../lib/api.js';
import { Chart } from '../lib/chart.js';
import { html } from '../lib/html.js';
import { fmtClock, fmtDateTime, fmtDay, fmtNumber, fmtShortDay, t } from '../lib/i18n.js';
import { onLiveReading } from '../lib/live.js';
import { OBIS } from '../lib/obis.js';
import { addDays, consumptionRows, daySeconds, isoDay, listOf } from '../lib/series.js';
import { AlertsPanel } from './alerts.js';
import { ComparisonPanel } from './comparison.js';
import { EstimatesPanel } from './estimates.js';
import { PrepaidPanel } from './prepaid.js';
import { RelayPanel } from './relay.js';

const LIVE_WINDOW_S = 15 * 60;
const DAYS = 30;
const PRIOR_YEAR_SHIFT = 364;

/** @param {{ arg: string, session: { role: string } }} props */
export function MeterView({ arg: meterId, session }) {
  const points = useRef(/** @type {Map<number, { p: number|null, v: number|null }>} */ (new Map()));
  const [liveData, setLiveData] = useState(/** @type {(number|null)[][]} */ ([[], [], []]));
  const [last, setLast] = useState(/** @type {{ ts: string, values: Record<string, number> }|null} */ (null));
  const [daily, setDaily] = useState(/** @type {(number|null)[][]} */ ([[], [], []]));
  const [dailyRows, setDailyRows] = useState(
    /** @type {{ day: string, cur: number|null, prev: number|null }[]} */ ([]),
  );
  const [error, setError] = useState('');

  useEffect(() => {
    if (!meterId) return undefined;
    points.current = new Map();
    /** @param {string} ts @param {Record<string, number>} values */
    const add = (ts, values) => {
      const s = Date.parse(ts) / 1000;
      if (!Number.isFinite(s)) return;
      points.current.set(s, { p: values[OBIS.powerImport] ?? null, v: values[OBIS.voltageL1] ?? null });
    };
    const publish = () => {
      const cutoff = Date.now() / 1000 - LIVE_WINDOW_S;
      const xs = [...points.current.keys()].filter((x) => x >= cutoff).sort((a, b) => a - b);
      setLiveData([
        xs,
        xs.map((x) => points.current.get(x)?.p ?? null),
        xs.map((x) => points.current.get(x)?.v ?? null),
      ]);
    };
    /** @param {{ ts: string, values: Record<string, number> }} r */
    const newest = (r) => setLast((cur) => (!cur || cur.ts <= r.ts ? { ts: r.ts, values: r.values } : cur));
    const off = onLiveReading((r) => {
      if (r.meter !== meterId) return;
      add(r.ts, r.values);
      newest(r);
      publish();
    }, meterId);
    const to = new Date();
    const from = new Date(to.getTime() - LIVE_WINDOW_S * 1000);
    api(paths.readings(meterId, { from: from.toISOString(), to: to.toISOString() }))
      .then((r) => {
        for (const x of listOf(r)) {
          if (!x || typeof x.ts !== 'string' || !x.values) continue;
          add(x.ts, x.values);
          newest(x);
        }
        publish();
      })
      .catch((e) => setError(String(e.message)));
    // A meter silent for longer than the window: its last reading is in the meters list (there is
    // no one-meter route; a customer's list holds only their own meters).
    api(paths.meters)
      .then((list) => {
        const m = listOf(list).find((x) => x?.id === meterId);
        if (m?.lastReading) newest(m.lastReading);
      })
      .catch(() => {
        /* the readings and the live stream fill the tiles in */
      });

    const today = isoDay(new Date());
    const start = addDays(today, -(DAYS - 1));
    Promise.all([
      api(paths.consumption(meterId, { period: 'day', from: start, to: today })),
      api(
        paths.consumption(meterId, {
          period: 'day',
          from: addDays(start, -PRIOR_YEAR_SHIFT),
          to: addDays(today, -PRIOR_YEAR_SHIFT),
        }),
      ),
    ])
      .then(([cur, prev]) => {
        const c = new Map(consumptionRows(cur).map((x) => [x.key, x.value]));
        const p = new Map(consumptionRows(prev).map((x) => [x.key, x.value]));
        const days = Array.from({ length: DAYS }, (_, i) => addDays(start, i));
        const rows = days.map((d) => ({
          day: d,
          cur: c.get(d) ?? null,
          prev: p.get(addDays(d, -PRIOR_YEAR_SHIFT)) ?? null,
        }));
        setDailyRows(rows);
        setDaily([days.map(daySeconds), rows.map((r) => r.cur), rows.map((r) => r.prev)]);
      })
      .catch((e) => setError(String(e.message)));
    return off;
  }, [meterId]);

  const v = last?.values ?? {};
  return html`<section>
    <h1>${t('meter.title')} <span class="mono">${meterId}</span></h1>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    <div class="tiles">
      <div class="tile" data-testid="energy">
        <span class="k">${t('meter.energy')}</span
        ><span class="v">${fmtNumber(v[OBIS.energyImport], 2)} kWh</span>
      </div>
      <div class="tile" data-testid="power">
        <span class="k">${t('meter.power')}</span
        ><span class="v">${fmtNumber(v[OBIS.powerImport], 3)} kW</span>
      </div>
      <div class="tile" data-testid="voltage">
        <span class="k">${t('meter.voltage')}</span
        ><span class="v">${fmtNumber(v[OBIS.voltageL1], 1)} V</span>
      </div>
      <div class="tile">
        <span class="k">${t('meter.lastReading')}</span
        ><span class="v small" data-testid="last-ts">${fmtDateTime(last?.ts)}</span>
      </div>
    </div>
    <${Chart}
      testid="live-chart"
      title=${t('meter.liveChart')}
      data=${liveData}
      xLabel=${t('common.time')}
      xValues=${(/** @type {any} */ _u, /** @type {number[]} */ splits) => splits.map(fmtClock)}
      series=${[
        { label: `${t('meter.power')} (kW)`, color: '#1f5fbf', scale: 'kW' },
        { label: `${t('meter.voltage')} (V)`, color: '#b34700', scale: 'V' },
      ]}
      axes=${[
        { label: `${t('meter.power')} (kW)`, scale: 'kW', side: 3 },
        { label: `${t('meter.voltage')} (V)`, scale: 'V', side: 1 },
      ]}
    />
    <p class="sr-only" aria-live="polite" data-testid="live-points">
      ${t('meter.points', { n: liveData[0].length })}
    </p>
    <${Chart}
      testid="daily-chart"
      title=${t('meter.daily')}
      data=${daily}
      xLabel=${t('common.day')}
      xValues=${(/** @type {any} */ _u, /** @type {number[]} */ splits) => splits.map(fmtShortDay)}
      series=${[
        { label: t('meter.thisYear'), color: '#1f7a4d', bars: true },
        { label: t('meter.lastYear'), color: '#555555', dash: [6, 4] },
      ]}
      axes=${[{ label: 'kWh' }]}
    />
    <details>
      <summary>${t('meter.dailyTable')}</summary>
      <table class="data">
        <thead>
          <tr>
            <th scope="col">${t('common.day')}</th>
            <th scope="col" class="num">${t('meter.thisYear')} (kWh)</th>
            <th scope="col" class="num">${t('meter.lastYear')} (kWh)</th>
          </tr>
        </thead>
        <tbody>
          ${dailyRows.map(
            (r) =>
              html`<tr key=${r.day}>
                <th scope="row">${fmtDay(r.day)}</th>
                <td class="num">${fmtNumber(r.cur, 2)}</td>
                <td class="num">${fmtNumber(r.prev, 2)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </details>
    <${ComparisonPanel} meterId=${meterId} />
    <${EstimatesPanel} meterId=${meterId} />
    <div class="cols">
      <div class="grow"><${AlertsPanel} meterId=${meterId} canAck=${session.role !== 'customer'} /></div>
      <div class="grow"><${PrepaidPanel} meterId=${meterId} /></div>
    </div>
    ${(session.role === 'admin' || session.role === 'operator') && html`<${RelayPanel} meterId=${meterId} />`}
  </section>`;
}
