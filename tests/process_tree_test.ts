// What a process worker starts ends with it (issue 29, item 4): each child
// leads a process group of its own, which ends on evrexec.stop, on
// evrexec.restart, when the child dies, on SIGTERM to the host, and (the
// relay noticing its host gone) on SIGKILL of the host.
import assert from "node:assert/strict";
import { fixture, sleep, startHost, type StartOptions, withHost } from "./helpers/host.ts";

const SUBPROCESS = fixture("subprocess.ts");

/** A number of seconds for `sleep` that no other process on the machine uses. */
function newTag(): string {
  return `${7_000_000 + Math.floor(Math.random() * 1_000_000)}`;
}

/** The pids of processes whose command line holds `tag` (found through /proc). */
function tagged(tag: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const zombie = stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
      if (!zombie && cmdline.includes(`${tag}.`)) {
        pids.push(Number(entry.name));
      }
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

/** Waits until `count` processes carry `tag` (at most `ms`); returns how many do. */
async function waitTagged(tag: string, count: number, ms = 10_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (tagged(tag).length !== count && Date.now() < deadline) await sleep(50);
  return tagged(tag).length;
}

/** Kills what a failed test left behind. */
function sweep(tag: string): void {
  for (const pid of tagged(tag)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

const options = (tag: string, extra: Partial<StartOptions> = {}): StartOptions => ({
  exec: ["name=sleeper;isolation=process;restart=always;backoff=100"],
  permissions: ["--allow-run"],
  env: { SLEEP_TAG: tag },
  ...extra,
});

type Task = { name: string; workers: { state: string; pid?: number }[] };

Deno.test("process tree: ends on evrexec.stop, evrexec.restart, a crash and SIGTERM", async () => {
  const tag = newTag();
  try {
    await withHost(SUBPROCESS, options(tag), async (host) => {
      await host.waitFor(/sleeper 0 started/);
      // sleep, sh and sh's sleep
      assert.equal(await waitTagged(tag, 3), 3, "the worker's tree runs");
      await host.call("evrexec.stop", ["sleeper"]);
      assert.equal(await waitTagged(tag, 0), 0, "evrexec.stop ended the tree");

      await host.call("evrexec.start", ["sleeper"]);
      assert.equal(await waitTagged(tag, 3), 3, "started again");
      const before = tagged(tag);
      await host.call("evrexec.restart", ["sleeper"]);
      const deadline = Date.now() + 10_000;
      while (before.some((pid) => tagged(tag).includes(pid)) && Date.now() < deadline) {
        await sleep(50);
      }
      assert.deepEqual(before.filter((pid) => tagged(tag).includes(pid)), [], "restart ended it");
      assert.equal(await waitTagged(tag, 3), 3, "the new worker's tree runs");

      const [task] = await host.call("evrexec.list") as Task[];
      const child = task.workers[0].pid!;
      const crashed = tagged(tag);
      const starts = host.count(/sleeper 0 started/);
      Deno.kill(child, "SIGKILL"); // the child dies; the host sees it exit
      await host.waitFor(new RegExp(`(sleeper 0 started[\\s\\S]*){${starts + 1}}`));
      assert.deepEqual(
        crashed.filter((pid) => tagged(tag).includes(pid)),
        [],
        "a crashed child's tree ended",
      );
      assert.equal(await waitTagged(tag, 3), 3, "the restarted worker's tree runs");

      const exit = await host.stop("SIGTERM");
      assert.equal(exit.code, 0);
      assert.equal(await waitTagged(tag, 0, 5000), 0, "SIGTERM to the host ended every tree");
    })();
  } finally {
    sweep(tag);
  }
});

Deno.test("process tree: SIGKILL of the host, the child ends its group as it exits", async () => {
  const tag = newTag();
  const host = await startHost(SUBPROCESS, options(tag));
  try {
    await host.waitFor(/sleeper 0 started/);
    assert.equal(await waitTagged(tag, 3), 3);
    host.process.kill("SIGKILL");
    await host.exited;
    assert.equal(await waitTagged(tag, 0, 5000), 0, "no process of the tree is left");
  } finally {
    await host.cleanup();
    sweep(tag);
  }
});

Deno.test(
  "process tree: a host with --allow-run for deno and the programs alone still ends the tree (stop, SIGTERM)",
  async () => {
    const tag = newTag();
    try {
      await withHost(
        SUBPROCESS,
        options(tag, {
          exec: [
            "name=sleeper;isolation=process;restart=always;allow-run=sleep,sh;allow-env=SLEEP_TAG",
          ],
          permissions: [`--allow-run=${Deno.execPath()},sleep,sh`],
        }),
        async (host) => {
          await host.waitFor(/sleeper 0 started/);
          assert.equal(await waitTagged(tag, 3), 3);
          await host.call("evrexec.stop", ["sleeper"]);
          assert.equal(await waitTagged(tag, 0), 0, "evrexec.stop ended the tree");
          await host.call("evrexec.start", ["sleeper"]);
          assert.equal(await waitTagged(tag, 3), 3, "started again");
          assert.equal((await host.stop("SIGTERM")).code, 0);
          assert.equal(await waitTagged(tag, 0, 5000), 0, "SIGTERM to the host ended the tree");
        },
      )();
    } finally {
      sweep(tag);
    }
  },
);
