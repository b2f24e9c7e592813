import type { CanaryPoint } from "@/lib/live-store";
import { formatMs } from "@/lib/format";

/** A small SVG line of recent canary latencies: its own scale (min to max), newest right. */
export function Sparkline({
  points,
  width = 160,
  height = 36,
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
        className="text-muted-foreground flex items-center text-xs"
        style={{ width, height }}
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
  const last = coords.at(-1)?.split(",") ?? ["0", "0"];
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: ${points.length} samples, ${formatMs(min)} to ${formatMs(max)}`}
      data-testid="sparkline"
      data-points={points.length}
      className="overflow-visible"
    >
      <polyline
        points={coords.join(" ")}
        fill="none"
        stroke="currentColor"
        strokeWidth={1.5}
        strokeLinejoin="round"
        strokeLinecap="round"
        className="text-sky-600"
      />
      <circle cx={last[0]} cy={last[1]} r={2.5} className="fill-sky-600" />
    </svg>
  );
}
