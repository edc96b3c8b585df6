// The pure parts of `evrexec init`: text for unit files, and what the
// project's deno.json and unit say, from given facts.
import assert from "node:assert/strict";
import { denoJson } from "../../src/cli/init_template/deno_json.ts";
import type { ProjectFacts } from "../../src/cli/init_template/facts.ts";
import { serviceUnit, unitCommand } from "../../src/cli/init_template/service_unit.ts";
import { unitArgument, unitPath, unitUnsafe } from "../../src/cli/init_template/systemd_text.ts";

const FACTS: ProjectFacts = {
  name: "demo",
  dir: "/srv/demo",
  checkout: "/opt/evrexec",
  packageName: "@evrexec/deno",
  denoPath: "/usr/bin/deno",
  user: "alice",
  userToCreate: false,
};

/** What systemd makes of one quoted-or-bare argument (specifiers and variables unescaped). */
function systemdReads(arg: string): string {
  const quoted = arg.match(/^"((?:[^"\\]|\\.)*)"$/);
  const raw = quoted ? quoted[1].replace(/\\(.)/g, "$1") : arg;
  return raw.replaceAll("%%", "%").replaceAll("$$", "$");
}

Deno.test("unit text: an argument reads back as given, whatever it holds", () => {
  for (
    const text of ["/usr/bin/deno", "--allow-run=/a b", "100%", "$HOME", 'say "hi"', "a\\b", "é ü"]
  ) {
    const arg = unitArgument(text);
    assert.equal(systemdReads(arg), text, arg);
    assert.ok(!/\s/.test(arg) || arg.startsWith('"'), `${arg} is one argument`);
  }
  assert.equal(unitArgument("--inspect=127.255.255.255:0"), "--inspect=127.255.255.255:0");
  assert.equal(unitPath("/srv/100% app"), "/srv/100%% app");
  assert.equal(unitUnsafe("/srv/a\nb"), true);
  assert.equal(unitUnsafe("/srv/a b"), false);
});

Deno.test("project deno.json: tasks with the host's flags and no path; the checkout linked", () => {
  const config = JSON.parse(denoJson(FACTS));
  assert.deepEqual(Object.keys(config.tasks), ["start", "dev", "test", "check"]);
  for (const task of ["start", "dev"]) {
    assert.match(config.tasks[task], /--inspect=127\.255\.255\.255:0 --inspect-publish-uid=http/);
    assert.match(
      config.tasks[task],
      / --config deno\.json jsr:@evrexec\/deno --config evrexec\.jsonc/,
    );
    assert.doesNotMatch(config.tasks[task], /\/opt\/evrexec/);
  }
  assert.match(config.tasks.dev, /--allow-run .*--watch --check/);
  // start may run mkfifo (rpc-fifo, kamctl) and nothing else
  assert.deepEqual(config.tasks.start.match(/--allow-run\S*/g), ["--allow-run=mkfifo"]);
  assert.deepEqual(config.imports, { "@evrexec/deno": "jsr:@evrexec/deno" });
  assert.deepEqual(config.links, ["/opt/evrexec"]);
});

Deno.test("unit: the host's flags and the boot clock, the user, and ProtectHome by where files live", () => {
  const command = unitCommand(FACTS);
  assert.deepEqual(command.slice(0, 3), ["/usr/bin/deno", "run", "--frozen"]);
  assert.ok(command.includes("--inspect-publish-uid=http"));
  assert.ok(command.includes("--allow-sys=osUptime"));
  assert.deepEqual(command.filter((arg) => arg.startsWith("--allow-run")), ["--allow-run=mkfifo"]);
  const unit = serviceUnit(FACTS);
  assert.match(unit, /^User=alice$/m);
  assert.match(unit, /^ProtectHome=yes$/m);
  const inHome = serviceUnit({ ...FACTS, dir: "/home/alice/demo" });
  assert.match(inHome, /^ProtectHome=read-only$/m);
  const created = serviceUnit({ ...FACTS, user: "evrexec", userToCreate: true });
  assert.match(created, /useradd --system --no-create-home evrexec/);
});
