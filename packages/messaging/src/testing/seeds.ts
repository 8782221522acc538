/**
 * Seed range for the randomized simulation tests. VIGIL_SIM_SEEDS sets how many
 * (default 2000, split across the test files); VIGIL_SIM_SEED_BASE shifts the
 * range so a nightly job can explore new seeds. A failure prints its seed.
 */
export function seedSlice(part: number, parts: number): number[] {
  const total = Number(process.env['VIGIL_SIM_SEEDS'] ?? 2000);
  const base = Number(process.env['VIGIL_SIM_SEED_BASE'] ?? 1);
  const per = Math.ceil(total / parts);
  const from = base + part * per;
  const to = Math.min(base + total, from + per);
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
