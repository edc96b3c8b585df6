// The RPC server outlives a failed accept(): out of descriptors (EMFILE),
// it logs once, keeps trying, and serves again once descriptors free up.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";
import { openFds } from "./helpers/proc.ts";
import { RawClient, request } from "./helpers/raw.ts";

const FAULTS = fixture("faults.ts");
const FAILED = /accepting (a )?connections? failed: .*Too many open files/g;

const hasPrlimit = await new Deno.Command("prlimit", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);
if (!hasPrlimit) console.log("accept faults: prlimit is not installed; skipping these tests");

/** Sets the soft limit of open files of process `pid`. */
async function limitFiles(pid: number, soft: number): Promise<void> {
  const out = await new Deno.Command("prlimit", { args: [`--pid=${pid}`, `--nofile=${soft}:`] })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test({
  name: "accept: out of descriptors, the server logs once, waits, and serves again",
  ignore: !hasPrlimit,
  fn: withHost(FAULTS, {}, async (host) => {
    const warm = await host.client();
    for (let i = 0; i < 50 && (await warm.call("core.psx") as unknown[]).length < 2; i++) {
      await sleep(100); // the whole RPC pool is up: its descriptors are counted
    }
    await warm.close();
    await sleep(300);
    const room = 6;
    await limitFiles(host.pid, openFds(host.pid) + room);
    const clients: RawClient[] = [];
    for (let i = 0; i < room + 6; i++) {
      const client = await RawClient.connect(host.socket);
      await client.send(request(i, "core.version"));
      clients.push(client);
    }
    await host.waitFor(FAILED);
    await sleep(2500); // several retries, each failing
    const served = clients.filter((client) => client.lineCount === 1);
    const waiting = clients.filter((client) => client.lineCount === 0);
    console.log(
      `--nofile at ${room} over the host's need: ${served.length} served, ${waiting.length} ` +
        `waiting; ${host.count(FAILED)} line(s) logged`,
    );
    assert.ok(waiting.length > 0, "some clients wait for a descriptor");
    assert.equal(host.count(FAILED), 1, "logged once for the whole burst");
    const freed = performance.now();
    for (const client of served) await client.close();
    for (const client of waiting) await client.lines(1, 15_000);
    console.log(
      `descriptors freed: the waiting clients answered ${
        Math.round(performance.now() - freed)
      } ms later`,
    );
    await host.waitFor(/accepting connections again after \d+ failed attempts/);
    for (const client of waiting) await client.close();
    assert.equal(await host.call("evrexec.run", ["echo", "served again"]), "served again");
  }),
});
