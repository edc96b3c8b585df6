// Loopback addresses as the resolver reads them (issue 21, item 13): `127.1` and the
// other inet_aton forms are 127.0.0.1, checked against the system's own resolver.
import assert from "node:assert/strict";
import dns from "node:dns/promises";
import fc from "fast-check";
import { ipv4Bytes, ipv6Words, isLoopback } from "../../src/base/host_port.ts";

Deno.test("loopback: the short and numeric IPv4 forms, IPv6 spelt out or mapped", () => {
  for (
    const host of [
      "127.1",
      "127.0.1",
      "0x7f.1",
      "0177.0.0.1",
      "2130706433",
      "0x7f000001",
      "127.000.000.001",
      "0::1",
      "0:0:0:0:0:0:0:1",
      "::ffff:7f00:1",
      "::ffff:127.1.2.3",
      "LocalHost",
    ]
  ) assert.ok(isLoopback(host), host);
  for (
    const host of [
      "0",
      "0.0.0.0",
      "128.1",
      "0x80.0.0.1",
      "0200.0.0.1",
      "::",
      "::2",
      "::ffff:128.0.0.1",
      "::127.0.0.1",
      "127.0.0.1.",
      "127..1",
      "08",
      "0x",
      "1.2.3.4.5",
      "127.16777216",
      "fe80::1%lo",
      "localhost.",
      "127.0.0.1.nip.io",
    ]
  ) assert.ok(!isLoopback(host), host);
  assert.deepEqual(ipv6Words("1::ffff:1.2.3.4"), [1, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  assert.equal(ipv6Words("1:2:3:4:5:6:7:8:9"), null);
  assert.equal(ipv6Words("1::2::3"), null);
});

/** `value` (32 bits) written with `parts` parts, each part in `bases`. */
function spell(value: number, parts: number, bases: ("dec" | "oct" | "hex")[]): string {
  const bytes = [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256);
  const lead = bytes.slice(0, parts - 1);
  const rest = bytes.slice(parts - 1).reduce((total, byte) => total * 256 + byte, 0);
  return [...lead, rest].map((n, i) => {
    const base = bases[i % bases.length];
    return base === "hex" ? `0x${n.toString(16)}` : base === "oct" ? `0${n.toString(8)}` : `${n}`;
  }).join(".");
}

Deno.test("loopback: every inet_aton spelling reads as the system resolver reads it", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: 2 ** 32 - 1 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.constantFrom("dec" as const, "oct" as const, "hex" as const), {
        minLength: 1,
        maxLength: 4,
      }),
      async (value, parts, bases) => {
        const text = spell(value, parts, bases);
        const { address } = await dns.lookup(text, { family: 4 });
        assert.equal(ipv4Bytes(text)?.join("."), address, text);
        assert.equal(isLoopback(text), address.startsWith("127."), text);
      },
    ),
    { numRuns: 300 },
  );
});
