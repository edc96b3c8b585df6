// Deno gap: an open Deno.FsFile cannot be given a mode or an owner (no fchmod, no fchown), and
// Deno.chmod / Deno.chown take a path and follow a symbolic link there; nor has Deno.open an
// O_NOFOLLOW. Setting the mode of a file one just created is thus done by path, after checking
// that the path still names the file opened (same device and inode), with the directory trusted.
//
//   deno run --allow-read --allow-write repro/no_fchmod.ts
//
// Prints, on Deno 2.9.6:
//   FsFile.chmod: missing
//   FsFile.chown: missing
//   Deno.chmod follows a symlink: yes (the target's mode changed)
//   gap present: yes

const dir = Deno.makeTempDirSync();
try {
  const file = Deno.openSync(`${dir}/log`, { write: true, createNew: true, mode: 0o600 });
  const proto = file as unknown as Record<string, unknown>;
  const chmod = typeof proto.chmod === "function";
  const chown = typeof proto.chown === "function";
  console.log(`FsFile.chmod: ${chmod ? "present" : "missing"}`);
  console.log(`FsFile.chown: ${chown ? "present" : "missing"}`);
  file.close();
  Deno.writeTextFileSync(`${dir}/target`, "", { mode: 0o600 });
  Deno.chmodSync(`${dir}/target`, 0o600);
  Deno.symlinkSync(`${dir}/target`, `${dir}/link`);
  Deno.chmodSync(`${dir}/link`, 0o644);
  const follows = (Deno.statSync(`${dir}/target`).mode! & 0o777) === 0o644;
  console.log(
    `Deno.chmod follows a symlink: ${follows ? "yes (the target's mode changed)" : "no"}`,
  );
  console.log(`gap present: ${!chmod || !chown ? "yes" : "no"}`);
} finally {
  Deno.removeSync(dir, { recursive: true });
}
