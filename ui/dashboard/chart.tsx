import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One line of a chart. */
export interface Line {
  label: string;
  values: Array<number | null>;
  /** A CSS colour (the palette's variables are resolved by the caller). */
  stroke: string;
  dash?: number[];
}

/**
 * A uPlot line chart (uPlot: canvas, no inline <style>, so it runs under the page's CSP). `x` are
 * epoch seconds when `time`, else plain numbers. Resizes with its container.
 */
export function Chart(props: { x: number[]; lines: Line[]; time: boolean; yLabel: string; height?: number; label: string; format?: (v: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: props.height ?? 260,
      scales: { x: { time: props.time } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
        {
          stroke: 'currentColor',
          label: props.yLabel,
          size: 70,
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          ...(props.format ? { values: (_u: uPlot, splits: number[]) => splits.map((v) => props.format!(v)) } : {}),
        },
      ],
      series: [
        {},
        ...props.lines.map((l) => ({
          label: l.label,
          stroke: l.stroke,
          width: 2,
          ...(l.dash ? { dash: l.dash } : {}),
          ...(props.format ? { value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.format!(v)) } : {}),
          spanGaps: true,
        })),
      ],
    };
    const plot = new uPlot(opts, [props.x, ...props.lines.map((l) => l.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: props.height ?? 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.x, props.lines, props.time, props.yLabel, props.height, props.format]);
  return <div class="chart" ref={box} role="img" aria-label={props.label} />;
}
