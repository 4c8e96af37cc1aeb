// @ts-check
/* global ResizeObserver */
/**
 * uPlot (≈ 50 kB, canvas) wrapped as a preact component. The plot is created once and fed with
 * `setData` afterwards, so a live update costs one canvas redraw, not a DOM rebuild.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

/**
 * @typedef {{ label: string, color: string, scale?: string, bars?: boolean, dash?: number[] }} SeriesSpec
 * @typedef {{ label?: string, side?: number, scale?: string }} AxisSpec
 */

const barsPaths = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;

/**
 * @param {{
 *   title: string, data: (number|null)[][], series: SeriesSpec[], axes?: AxisSpec[],
 *   height?: number, time?: boolean, xValues?: (u: any, splits: number[]) => string[], testid?: string
 * }} props
 */
export function Chart(props) {
  /** @type {{ current: HTMLDivElement|null }} */
  const host = useRef(null);
  /** @type {{ current: any }} */
  const plot = useRef(null);
  const shape = JSON.stringify([props.series, props.axes, props.time]);

  useEffect(() => {
    const el = host.current;
    if (!el) return undefined;
    const width = Math.max(320, el.clientWidth || 600);
    const axes = [{ stroke: '#333', grid: { stroke: '#eee' }, values: props.xValues }];
    for (const a of props.axes ?? [{}]) {
      axes.push({
        label: a.label,
        side: a.side ?? 3,
        scale: a.scale ?? 'y',
        stroke: '#333',
        grid: { stroke: '#eee' },
      });
    }
    /** @type {any} */
    const opts = {
      width,
      height: props.height ?? 240,
      scales: { x: { time: props.time ?? true } },
      legend: { show: true },
      axes,
      series: [
        {},
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
