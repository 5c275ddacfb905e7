/**
 * The uPlot scatter both the leaderboard's and the study's charts draw: made once at the holder's width (and
 * again whenever `rebuild` changes), fitted to the holder as it resizes, fed new points through setData (so an
 * update neither replaces the plot nor loses the hover), with the point under the cursor read out below and a
 * click selecting it; torn down with the component.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const FONT = '12px system-ui, sans-serif';
export const TITLE_FONT = '600 12px system-ui, sans-serif';
/** The narrowest a scatter is drawn, however narrow its holder. */
const MIN_WIDTH = 320;

export interface ScatterPlot {
  /** Whether there is anything to draw; no plot is made while there is not. */
  shown: boolean;
  height: number;
  /** This render's data, in uPlot's order: the x values, then each series' y values. */
  data: uPlot.AlignedData;
  /** Per point: what the read-out says of it, and what a click on it selects. */
  labels: readonly string[];
  ids: readonly string[];
  /** The read-out while no point is under the cursor. */
  prompt: string;
  /** Scales, axes and series, read when the plot is made. */
  options: () => Pick<uPlot.Options, 'scales' | 'axes' | 'series'>;
  onSelect?: (id: string) => void;
  /** A change makes the plot anew (series fixed at creation); a change of `update` only sets its data. */
  rebuild: string;
  update: string;
}

/** Draws `plot` in the returned holder and reads the point under the cursor out in the returned paragraph. */
export function useScatterPlot(plot: ScatterPlot) {
  const holder = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLParagraphElement>(null);
  const made = useRef<uPlot | null>(null);
  // The plot's hooks read the points of the latest render.
  const current = useRef(plot);
  current.current = plot;

  useEffect(() => {
    if (!plot.shown) return;
    const el = holder.current!;
    const options: uPlot.Options = {
      ...plot.options(),
      width: Math.max(MIN_WIDTH, el.clientWidth),
      height: plot.height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (readout.current)
              readout.current.textContent = i == null ? current.current.prompt : (current.current.labels[i] ?? '');
          },
        ],
      },
    };
    const u = new uPlot(options, plot.data, el);
    made.current = u;
    const click = () => {
      const i = u.cursor.idx;
      if (i != null) current.current.onSelect?.(current.current.ids[i]!);
    };
    u.over.addEventListener('click', click);
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(MIN_WIDTH, el.clientWidth), height: plot.height }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.over.removeEventListener('click', click);
      u.destroy();
      made.current = null;
    };
  }, [plot.shown, plot.rebuild]);

  useEffect(() => {
    made.current?.setData(plot.data);
  }, [plot.update]);

  return { holder, readout };
}
