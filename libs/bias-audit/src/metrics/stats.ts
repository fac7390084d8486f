// Statistics for the audits: Pearson's chi-square test of independence on a contingency table,
// with the p-value from the regularised upper incomplete gamma function (Numerical Recipes' series
// and continued fraction forms), and small helpers.

/** ln Γ(x), Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i += 1) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Q(a, x) = Γ(a, x) / Γ(a), the regularised upper incomplete gamma function. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const gln = logGamma(a);
  if (x < a + 1) {
    // series for P(a, x)
    let sum = 1 / a;
    let del = sum;
    let ap = a;
    for (let n = 0; n < 1000; n += 1) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - gln);
  }
  // continued fraction for Q(a, x) (modified Lentz)
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - gln) * h;
}

export interface ChiSquare {
  statistic: number;
  dof: number;
  pValue: number;
}

/** Pearson's chi-square test of independence; rows or columns with zero total are dropped. */
export function chiSquareTest(table: number[][]): ChiSquare {
  const rows = table.filter((r) => r.reduce((a, b) => a + b, 0) > 0);
  const nCols = rows[0]?.length ?? 0;
  const colTotals = Array.from({ length: nCols }, (_, j) => rows.reduce((a, r) => a + r[j], 0));
  const keep = colTotals.map((t, j) => (t > 0 ? j : -1)).filter((j) => j >= 0);
  const total = rows.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  const dof = (rows.length - 1) * (keep.length - 1);
  if (dof <= 0 || total === 0) return { statistic: 0, dof: Math.max(dof, 0), pValue: 1 };
  let stat = 0;
  for (const r of rows) {
    const rt = r.reduce((a, b) => a + b, 0);
    for (const j of keep) {
      const expected = (rt * colTotals[j]) / total;
      stat += (r[j] - expected) ** 2 / expected;
    }
  }
  return { statistic: stat, dof, pValue: gammaQ(dof / 2, stat / 2) };
}

export const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
