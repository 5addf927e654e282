// Tiny SVG plots (no library): bar charts with axis labels.
"use strict";
const SVGNS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// bars: [{label, value}]; draws into an SVG with viewBox 0 0 320 160.
function barChart(svg, bars, opts = {}) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = 320, H = 160, left = 34, bottom = 22, top = 8, right = 6;
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const plotW = W - left - right, plotH = H - top - bottom;
  svg.appendChild(svgEl("line", { x1: left, y1: top, x2: left, y2: top + plotH, stroke: "#9ca3af" }));
  svg.appendChild(svgEl("line", { x1: left, y1: top + plotH, x2: W - right, y2: top + plotH, stroke: "#9ca3af" }));
  svg.appendChild(svgEl("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, fmtNum(max)));
  svg.appendChild(svgEl("text", { x: left - 4, y: top + plotH, "text-anchor": "end" }, "0"));
  if (!bars.length) {
    svg.appendChild(svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no data yet"));
    return;
  }
  const step = plotW / bars.length;
  const every = Math.ceil(bars.length / 8);
  bars.forEach((b, i) => {
    const h = (b.value / max) * plotH;
    const rect = svgEl("rect", {
      x: left + i * step + step * 0.1, y: top + plotH - h, width: step * 0.8, height: h,
      fill: opts.color || "#2563eb",
    });
    rect.appendChild(svgEl("title", {}, `${b.label}: ${fmtNum(b.value)}`));
    svg.appendChild(rect);
    if (i % every === 0) {
      svg.appendChild(svgEl("text", { x: left + i * step + step / 2, y: H - 8, "text-anchor": "middle" }, b.label));
    }
  });
}

function fmtNum(v) {
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1).replace(/\.0$/, "");
  return String(Math.round(v * 1000) / 1000);
}
