// Every interleaving fast-check finds of start, stop, restart, creations,
// worker events (current and stale), acks, timers and policy decisions: a
// slot never has two live workers or an orphan, and a stop ends all.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Ending, RestartDecision } from "../../src/tasks/restart_policy.ts";
import { World } from "./lifecycle_world.ts";

type Op =
  | { op: "start" | "stop" | "restart" | "giveUp" | "terminate" }
  | { op: "make"; ok: boolean }
  | { op: "loaded" | "entered"; stale: boolean }
  | { op: "ended"; ending: Ending; stale: boolean }
  | { op: "ack"; watched: boolean; stale: boolean }
  | { op: "advance"; ms: number }
  | { op: "policy"; decision: RestartDecision };

const stale = fc.boolean();
const anOp: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constantFrom<Op>({ op: "start" }, { op: "stop" }, { op: "restart" }), weight: 6 },
  { arbitrary: fc.constantFrom<Op>({ op: "giveUp" }, { op: "terminate" }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("make" as const), ok: fc.boolean() }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constantFrom("loaded" as const, "entered" as const), stale }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("ended" as const),
      ending: fc.constantFrom<Ending>("returned", "threw", "crashed"),
      stale,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ op: fc.constant("ack" as const), watched: fc.boolean(), stale }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 6000 })),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("policy" as const),
      decision: fc.constantFrom<RestartDecision>(
        { kind: "stay" },
        { kind: "restart", delayMs: 100 },
        { kind: "give-up", restarts: 5 },
      ),
    }),
    weight: 1,
  },
);

Deno.test("any interleaving: at most one live worker, never an orphan, and a stop ends all", () => {
  fc.assert(
    fc.property(
      fc.array(anOp, { minLength: 10, maxLength: 60, size: "max" }),
      fc.boolean(),
      (ops, honour) => {
        const world = new World();
        world.honourWithdraw = honour;
        const { machine } = world;
        for (const step of ops) {
          const target = "stale" in step && step.stale
            ? world.workers[0] ?? machine.worker
            : machine.worker;
          switch (step.op) {
            case "start":
            case "giveUp":
            case "terminate":
              machine[step.op]();
              break;
            case "stop":
            case "restart":
              machine[step.op](5000);
              break;
            case "make":
              world.make(step.ok);
              break;
            case "loaded":
            case "entered":
              if (target) machine[step.op](target);
              break;
            case "ended":
              if (target) machine.ended(target, step.ending);
              break;
            case "ack":
              if (target) machine.acknowledged(target, step.watched);
              break;
            case "advance":
              world.clock.advance(step.ms);
              break;
            case "policy":
              world.decision = step.decision;
          }
          world.check();
        }
        machine.stop(5000);
        world.clock.advance(10_000);
        while (world.make()) world.check();
        world.check();
        assert.equal(world.live.length, 0, "a stop leaves no live worker");
        assert.equal(machine.phase, "idle");
      },
    ),
    { numRuns: 2000 },
  );
});
