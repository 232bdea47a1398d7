// Colour-blind-safe scales: viridis (sequential: per-token divergence)
// and a blue–orange diverging scale (signed advantages), with the text
// colour that keeps each token readable.

const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];
// Blue (negative) → near white → orange (positive), after ColorBrewer PuOr/RdBu's ends.
const DIVERGING = [
  [33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
  [254, 224, 182], [241, 163, 64], [179, 88, 6],
];

function lerp(stops, t) {
  t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f));
}

const css = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
const ink = (c) => (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2] > 140 ? "#111" : "#fff");

// sequential: t in [0, 1].
export function sequential(t) {
  const c = lerp(VIRIDIS, t);
  return { bg: css(c), fg: ink(c) };
}

// diverging: t in [−1, 1], 0 is neutral.
export function diverging(t) {
  const c = lerp(DIVERGING, (t + 1) / 2);
  return { bg: css(c), fg: ink(c) };
}

// gradient returns CSS stop colours for a legend bar.
export function gradientStops(kind, n = 11) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    out.push(kind === "diverging" ? diverging(2 * t - 1).bg : sequential(t).bg);
  }
  return out;
}
