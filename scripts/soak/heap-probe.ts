// Loaded into the gate daemon by the soak (`node --expose-gc --import tsx --import this-file`): every
// few seconds a full garbage collection, then the live heap, written as one JSON line to the file
// descriptor named by XINYI_SOAK_PROBE_FD (a pipe the soak reads). RSS alone cannot tell a leak from
// V8 growing its heap spaces in a young process; what survives a full GC can.
import { writeSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const gc = (globalThis as { gc?: () => void }).gc;
const fd = Number(process.env.XINYI_SOAK_PROBE_FD);
const intervalMs = Number(process.env.XINYI_SOAK_PROBE_INTERVAL_MS ?? 5_000);

if (gc !== undefined && Number.isInteger(fd) && fd > 2) {
  const timer = setInterval(() => {
    gc();
    const m = process.memoryUsage();
    try {
      const spaces = Object.fromEntries(
        getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_used_size]),
      );
      writeSync(
        fd,
        `${JSON.stringify({ heapUsed: m.heapUsed, external: m.external, rss: m.rss, spaces })}\n`,
      );
    } catch {
      clearInterval(timer);
    }
  }, intervalMs);
  timer.unref();
}
