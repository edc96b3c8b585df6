// Deno gap: `deno install -g` keeps `--inspect=HOST:PORT` in the script it
// writes but drops `--inspect-publish-uid=http`, so a command installed with
// its inspector parked prints "Debugger listening on ws://…" at every start.
// The installer (src/cli/install.ts, src/cli/shim_flags.ts) adds the flag
// back to the script deno install wrote.
//
//   deno run --allow-read --allow-write --allow-run --allow-env repro/install_drops_inspect_publish_uid.ts
//
// Prints, on Deno 2.9.6:
//   installed script: exec deno run '--inspect=127.255.255.255:0' --config /tmp/…/bin/.hello/deno.json 'file:///tmp/…/hello.ts' "$@"
//   --inspect kept: yes
//   --inspect-publish-uid kept: no
//   banner on stderr when run: yes
//   gap present: yes

const dir = await Deno.makeTempDir({ prefix: "repro-install-" });
try {
  await Deno.writeTextFile(`${dir}/hello.ts`, 'console.log("hello");\n');
  const install = await new Deno.Command(Deno.execPath(), {
    args: [
      "install",
      "--global",
      "--root",
      dir,
      "--name",
      "hello",
      "--inspect=127.255.255.255:0",
      "--inspect-publish-uid=http",
      `${dir}/hello.ts`,
    ],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (install.code !== 0) throw new Error(new TextDecoder().decode(install.stderr));
  const script = await Deno.readTextFile(`${dir}/bin/hello`);
  const line = script.split("\n").find((l) => l.startsWith("exec ")) ?? "";
  console.log(`installed script: ${line}`);
  const kept = line.includes("--inspect=127.255.255.255:0");
  const publish = line.includes("--inspect-publish-uid");
  console.log(`--inspect kept: ${kept ? "yes" : "no"}`);
  console.log(`--inspect-publish-uid kept: ${publish ? "yes" : "no"}`);
  const ran = await new Deno.Command(`${dir}/bin/hello`, {
    env: { PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:${Deno.env.get("PATH") ?? ""}` },
    stdout: "null",
    stderr: "piped",
  }).output();
  const banner = new TextDecoder().decode(ran.stderr).includes("Debugger listening");
  console.log(`banner on stderr when run: ${banner ? "yes" : "no"}`);
  console.log(`gap present: ${kept && !publish ? "yes" : "no"}`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
