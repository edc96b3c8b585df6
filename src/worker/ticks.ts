/**
 * The worker side of a timer task: calls the function once per tick the
 * host sends, one at a time, and tells the host when each call began and
 * how it ended. The schedule itself is kept by the host.
 *
 * @module
 */

import { errorInfo } from "../shared/error_text.ts";
import type { TickMessage } from "../shared/messages.ts";
import type { WorkerContext } from "./context.ts";

/**
 * Answers ticks with `fn(index)` until the host says stop (`KSR.shutdown`);
 * resolves then, once no call runs. A tick that comes while stopping is
 * answered as not run.
 */
export function serveTicks(
  context: WorkerContext,
  fn: (tick: TickMessage) => unknown,
): Promise<void> {
  const { send, stopping } = context;
  return new Promise((resolve) => {
    let running = false;
    const endIfStopped = () => {
      if (stopping.aborted && !running) resolve();
    };
    stopping.addEventListener("abort", endIfStopped, { once: true });
    context.tick = async (tick) => {
      const id = tick.id;
      if (running || stopping.aborted) return send({ type: "tick-ended", id, ran: false, ms: 0 });
      running = true;
      send({ type: "tick-started", id });
      const started = performance.now();
      let error;
      try {
        await fn(tick);
      } catch (thrown) {
        // A KSR.sleep ended by the stop is no failure of the tick.
        if (!(stopping.aborted && thrown === stopping.reason)) error = errorInfo(thrown);
      }
      running = false;
      const ms = performance.now() - started;
      send({ type: "tick-ended", id, ran: true, ms, ...(error ? { error } : {}) });
      endIfStopped();
    };
    endIfStopped();
  });
}
