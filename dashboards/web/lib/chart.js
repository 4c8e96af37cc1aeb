// @ts-check
/* global ResizeObserver */
/**
 * uPlot (≈ 50 kB, canvas) wrapped as a preact component. The plot is created once and fed with
 * `setData` afterwards, so a live update costs one canvas redraw, not a DOM rebuild.
 */
import { useEffect, useRef } from '../vendor/preact-hooks.js';
import uPlot from '../vendor/uplot.js';
import { html } from './html.js';

/**
 * @typedef {{ label: string, color: string, scale?: string, bars?: boolean, dash?: number[] }} SeriesSpec
 * @typedef {{ label?: string, side?: number, scale?: string }} AxisSpec
 */

const barsPaths = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;

/**
 * @param {{
 *   title: string, data: (number|null)[][], series: SeriesSpec[], axes?: AxisSpec[],
 *   height?: number, time?: boolean, xLabel?: string, xValues?: (u: any, splits: number[]) => string[], testid?: string
 * }} props
 */
export function Chart(props) {
  /** @type {{ current: HTMLDivElement|null }} */
  const host = useRef(null);
  /** @type {{ current: any }} */
  const plot = useRef(null);
  const shape = JSON.stringify([props.series, props.axes, props.time]);
  // Formatters read the latest props: the plot outlives the render that created it.
  const latest = useRef(props);
  latest.current = props;
  const xValues = props.xValues
    ? (/** @type {any} */ u, /** @type {number[]} */ splits) =>
        latest.current.xValues?.(u, splits) ?? splits.map(String)
    : undefined;

  useEffect(() => {
    const el = host.current;
    if (!el) return undefined;
    const width = Math.max(320, el.clientWidth || 600);
    const hasBars = props.series.some((x) => x.bars);
    const time = props.time ?? true;
    /** @type {any} */
    const xAxis = { stroke: '#333', grid: { stroke: '#eee' }, values: xValues, space: 80 };
    // Categories (months): one tick per bar, not uPlot's automatic numeric increments.
    if (!time) xAxis.splits = (/** @type {any} */ u) => u.data[0];
    const axes = [xAxis];
    for (const a of props.axes ?? [{}]) {
      axes.push({
        label: a.label,
        side: a.side ?? 3,
        scale: a.scale ?? 'y',
        stroke: '#333',
        // Room for tick values and the rotated unit label, so a right-hand axis is not clipped.
        size: 60,
        labelSize: 20,
        grid: { stroke: '#eee', show: (a.side ?? 3) === 3 },
      });
    }
    // Bars stand on zero and keep half a slot free at both ends so the first and last are whole.
    const half = time ? 43_200 : 0.5;
    /** @type {any} */
    const scales = { x: { time } };
    // Line scales: the data's span with 10 % margin (uPlot's default pads a flat line out to zero).
    for (const x of props.series) {
      if (x.bars) continue;
      const key = x.scale ?? 'y';
      scales[key] ??= {
        range: (/** @type {any} */ _u, /** @type {number|null} */ min, /** @type {number|null} */ max) => {
          if (min === null || max === null) return [0, 1];
          const pad = Math.max((max - min) * 0.1, Math.abs(max) * 0.01, 0.01);
          return [min - pad, max + pad];
        },
      };
    }
    if (hasBars) {
      scales.x.range = (/** @type {any} */ _u, /** @type {number} */ min, /** @type {number} */ max) => [
        min - half,
        max + half,
      ];
      scales.y = {
        range: (/** @type {any} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [
          0,
          max > 0 ? max * 1.1 : 1,
        ],
      };
    }
    /** @type {any} */
    const opts = {
      width,
      height: props.height ?? 240,
      scales,
      legend: { show: true },
      axes,
      series: [
        {
          label: props.xLabel ?? '',
          value: (/** @type {any} */ u, /** @type {number|null} */ v) =>
            v === null || v === undefined ? '—' : xValues ? xValues(u, [v])[0] : String(v),
        },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.bars ? `${s.color}99` : undefined,
          width: s.bars ? 1 : 2,
          scale: s.scale ?? 'y',
          dash: s.dash,
          paths: s.bars ? barsPaths : undefined,
          points: { show: false },
          spanGaps: !s.bars,
        })),
      ],
    };
    plot.current = new uPlot(opts, props.data, el);
    const ro = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(320, el.clientWidth), height: opts.height }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Re-create only when the series shape changes; data flows through the effect below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return html`<figure class="chart" data-testid=${props.testid}>
    <figcaption>${props.title}</figcaption>
    <div ref=${host} role="img" aria-label=${props.title}></div>
  </figure>`;
}
