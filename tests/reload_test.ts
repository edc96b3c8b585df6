// Reload: evrexec.reload and SIGHUP re-import the script; a broken script
// changes nothing; running calls finish on the old code.
import assert from "node:assert/strict";
import { RpcError } from "../src/rpc/errors.ts";
import { ROOT, startHost } from "./helpers/host.ts";

function script(version: string): string {
  return `import { KSR } from "${ROOT}kemi/mod.ts";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export function version(): string { return "${version}"; }
export async function slowVersion(): Promise<string> { await sleep(800); return "${version}"; }
export async function steady(index: string): Promise<void> {
  KSR.info("steady up ${version} index=" + index);
  while (!KSR.shutdown.aborted) await sleep(50);
}
export async function kept(index: string): Promise<void> {
  KSR.info("kept up ${version} index=" + index);
  while (!KSR.shutdown.aborted) await sleep(50);
}
`;
}

type Report = {
  version: number;
  restarted_tasks: string[];
  kept_tasks: string[];
  functions: string[];
};

Deno.test("reload: new code for the pool and restartable tasks; a broken script keeps the old", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-reload-" });
  const path = `${dir}/script.ts`;
  await Deno.writeTextFile(path, script("v1"));
  const host = await startHost(path, {
    exec: ["name=steady;restart=on-failure;workers=2", "name=kept"],
  });
  try {
    const c = await host.client();
    await host.waitFor(/kept up v1/);
    assert.equal(await c.call("evrexec.run", ["version"]), "v1");
    const slow = c.call("evrexec.run", ["slowVersion"]);
    await new Promise((resolve) => setTimeout(resolve, 100));

    await Deno.writeTextFile(path, script("v2"));
    const report = await c.call("evrexec.reload") as Report;
    assert.equal(report.version, 2);
    assert.deepEqual(report.restarted_tasks, ["steady"]);
    assert.deepEqual(report.kept_tasks, ["kept"]);
    assert.ok(report.functions.includes("slowVersion"));
    assert.equal(await c.call("evrexec.run", ["version"]), "v2");
    assert.equal(await slow, "v1", "the running call finished on the old code");
    await host.waitFor(/steady up v2 index=0/);
    await host.waitFor(/steady up v2 index=1/);
    assert.equal(host.count(/kept up v2/), 0, "restart=no tasks keep their workers");

    await Deno.writeTextFile(path, "export function broken( {\n");
    const broken = await c.call("evrexec.reload").then(
      () => assert.fail("must fail"),
      (e) => e as RpcError,
    );
    assert.equal(broken.code, -32003);
    assert.match(
      broken.message,
      /reload failed, the running version is kept: cannot load script: SyntaxError/,
    );
    assert.equal(await c.call("evrexec.run", ["version"]), "v2", "the old code still answers");

    await Deno.writeTextFile(
      path,
      script("v3").replace("export async function kept", "async function kept"),
    );
    const missing = await c.call("evrexec.reload").then(
      () => assert.fail("must fail"),
      (e) => e as RpcError,
    );
    assert.equal(missing.code, -32003);
    assert.match(missing.message, /exec task "kept": the script exports no function/);
    assert.equal(await c.call("evrexec.run", ["version"]), "v2");
    const pool = (await c.call("core.psx") as { task: string }[]).filter((row) =>
      row.task === "rpc"
    );
    assert.equal(pool.length, 2, "failed reloads leave no pool workers behind");

    await Deno.writeTextFile(path, script("v4"));
    host.process.kill("SIGHUP");
    await host.waitFor(/reloaded .*script\.ts \(version 3\)/);
    assert.equal(await c.call("evrexec.run", ["version"]), "v4");
    await host.waitFor(/steady up v4 index=1/);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});
