// docs/deployment.md shows the systemd unit `evrexec init` writes, as it
// writes it, and systemd-analyze verify accepts it (skipped where
// systemd-analyze is missing; tests/init_test.ts verifies init's own units).
import assert from "node:assert/strict";
import { serviceUnit } from "../src/cli/init_template/service_unit.ts";

const DOC = new URL("../docs/deployment.md", import.meta.url);
const ANALYZE = "/usr/bin/systemd-analyze";
/** The project the page's unit is for. */
const FACTS = {
  name: "app",
  dir: "/srv/app",
  checkout: "/opt/evrexec",
  packageName: "@evrexec/deno",
  denoPath: "/usr/local/bin/deno",
  user: "evrexec",
  userToCreate: true,
};

function documentedUnit(): string {
  const text = Deno.readTextFileSync(DOC);
  const block = text.match(/```ini\n([\s\S]*?)```/);
  assert.ok(block !== null, "docs/deployment.md has no ini block");
  return block[1];
}

Deno.test("deployment doc: its systemd unit is the one evrexec init writes", () => {
  assert.equal(documentedUnit(), serviceUnit(FACTS));
});

Deno.test("deployment doc: systemd-analyze verify accepts its unit", async () => {
  try {
    await Deno.stat(ANALYZE);
  } catch {
    console.log(`skipped: ${ANALYZE} is missing`);
    return;
  }
  const tmp = await Deno.makeTempDir({ prefix: "evrexec-doc-unit-" });
  try {
    // verify wants ExecStart's binary to exist: the deno running this test stands in.
    const unit = documentedUnit().replaceAll(FACTS.denoPath, Deno.execPath());
    await Deno.writeTextFile(`${tmp}/evrexec.service`, unit);
    const output = await new Deno.Command(ANALYZE, {
      args: ["verify", `${tmp}/evrexec.service`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    const about = stderr.split("\n").filter((line) => line.includes("evrexec.service"));
    assert.equal(output.code, 0, stderr);
    assert.deepEqual(about, []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
