import type { CanaryPoint } from "@/lib/live-store";
import { formatMs } from "@/lib/format";

/** A small SVG line of recent canary latencies: its own scale (min to max), newest
 * right. It takes the width of its box (the line keeps its stroke width). */
export function Sparkline({
  points,
  width = 240,
  height = 40,
  label,
}: {
  points: readonly CanaryPoint[];
  width?: number;
  height?: number;
  label: string;
}) {
  if (points.length === 0) {
    return (
      <div
        className="text-muted-foreground flex w-full items-center justify-center rounded border border-dashed text-xs"
        style={{ height }}
        data-testid="sparkline-empty"
      >
        no samples yet
      </div>
    );
  }
  const values = points.map((p) => p.ms);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const pad = 2;
  const step = points.length > 1 ? (width - 2 * pad) / (points.length - 1) : 0;
  const coords = points.map((p, i) => {
    const x = pad + i * step;
    const y = height - pad - ((p.ms - min) / span) * (height - 2 * pad);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return (
    <svg
      width="100%"
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`${label}: ${points.length} samples, ${formatMs(min)} to ${formatMs(max)}`}
      data-testid="sparkline"
      data-points={points.length}
      className="block"
    >
      <polyline
        points={coords.join(" ")}
        fill="none"
        stroke="currentColor"
        strokeWidth={1.5}
        strokeLinejoin="round"
        strokeLinecap="round"
        vectorEffect="non-scaling-stroke"
        className="text-sky-600"
      />
    </svg>
  );
}
