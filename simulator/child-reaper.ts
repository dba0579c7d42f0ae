import type { ChildProcess } from 'node:child_process';

/**
 * Helper processes (socat, redis-server) the simulator starts, killed when this process exits so none
 * outlives it. One `exit` listener for all of them: a site with many lanes starts dozens.
 */
const children = new Set<ChildProcess>();
let hooked = false;

/** Kills `child` (SIGKILL) if this process exits while it runs. Returns a function that forgets it. */
export function killOnExit(child: ChildProcess): () => void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  children.add(child);
  const forget = () => children.delete(child);
  child.once('exit', forget);
  return () => {
    forget();
  };
}
