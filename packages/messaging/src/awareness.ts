/**
 * Local health: if our own timer fired late (event loop blocked, GC pause,
 * overloaded host), the silence we observed is ours, not the peers'. The lag
 * is forgiven so that a busy node does not declare everyone else dead.
 */
export function lagToForgive(nowMs: number, expectedMs: number, heartbeatIntervalMs: number): number {
  const lag = nowMs - expectedMs;
  return Number.isFinite(lag) && lag > heartbeatIntervalMs / 2 ? lag : 0;
}
