const NS = 'http://www.w3.org/2000/svg';

/** A small multi-series line chart (SVG), with a text summary for screen readers. */
export function lineChart(series: { name: string; points: number[] }[], opts: { label: string; height?: number; width?: number }): SVGSVGElement {
  const width = opts.width ?? 560;
  const height = opts.height ?? 140;
  const pad = 28;
  const max = Math.max(1, ...series.flatMap((s) => s.points));
  const n = Math.max(2, ...series.map((s) => s.points.length));
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  const last = series.map((s) => `${s.name} ${s.points.at(-1) ?? 0}`).join(', ');
  svg.setAttribute('aria-label', `${opts.label}; latest: ${last || 'no data'}; max ${max}`);
  const axis = document.createElementNS(NS, 'text');
  axis.setAttribute('x', '2');
  axis.setAttribute('y', '12');
  axis.setAttribute('class', 'axis');
  axis.textContent = String(max);
  svg.append(axis);
  const base = document.createElementNS(NS, 'line');
  for (const [k, v] of Object.entries({ x1: pad, x2: width, y1: height - 4, y2: height - 4 })) base.setAttribute(k, String(v));
  base.setAttribute('class', 'grid');
  svg.append(base);
  series.forEach((s, i) => {
    const path = document.createElementNS(NS, 'polyline');
    const pts = s.points.map((v, j) => `${pad + (j / (n - 1)) * (width - pad)},${height - 4 - (v / max) * (height - 20)}`);
    path.setAttribute('points', pts.join(' '));
    path.setAttribute('class', `series s${i % 6}`);
    const title = document.createElementNS(NS, 'title');
    title.textContent = s.name;
    path.append(title);
    svg.append(path);
  });
  return svg;
}

export function legend(names: string[]): HTMLElement {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  names.forEach((n, i) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = `swatch s${i % 6}`;
    li.append(sw, document.createTextNode(n));
    ul.append(li);
  });
  return ul;
}
