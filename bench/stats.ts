/** The p-th percentile (nearest rank) of an ascending array: what every bench reports as p50 and p99. */
export const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
