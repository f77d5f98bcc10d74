import { AdaptiveLimit } from './adaptive-limit';

const make = () => new AdaptiveLimit({ min: 8, max: 512, windowSize: 10, tolerance: 2 });
const feed = (l: AdaptiveLimit, ms: number, windows: number) => {
  for (let i = 0; i < windows * 10; i++) l.completed(ms);
};

describe('AdaptiveLimit', () => {
  it('grows one per window while latency stays at the baseline, up to the ceiling', () => {
    const l = make();
    const start = l.limit;
    feed(l, 5, 10);
    expect(l.limit).toBe(start + 10);
    feed(l, 5, 1000);
    expect(l.limit).toBe(512);
  });

  it('shrinks in proportion when latency climbs past tolerance × baseline, never below min', () => {
    const l = make();
    feed(l, 5, 100);
    const before = l.limit;
    feed(l, 40, 1); // 8× the baseline: queueing
    expect(l.limit).toBeLessThanOrEqual(Math.floor(before * 0.5));
    feed(l, 40, 50);
    expect(l.limit).toBeGreaterThanOrEqual(8);
  });

  it('tolerates latency within tolerance × baseline', () => {
    const l = make();
    feed(l, 5, 10);
    const before = l.limit;
    feed(l, 9, 5);
    expect(l.limit).toBe(before + 5);
  });

  it('follows a permanently slower steady state instead of shedding forever', () => {
    const l = make();
    feed(l, 5, 10);
    feed(l, 30, 400);
    expect(l.baseline).toBeGreaterThan(15);
    const settled = l.limit;
    feed(l, 30, 10);
    expect(l.limit).toBeGreaterThan(settled);
  });
});
