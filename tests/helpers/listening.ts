/**
 * The TCP sockets a process listens on, from /proc: its descriptors' socket
 * inodes matched against the listening rows of /proc/PID/net/tcp and tcp6.
 *
 * @module
 */

/** A listening TCP socket. */
export interface Listener {
  /** The local address: dotted IPv4, or IPv6 in full. */
  readonly address: string;
  readonly port: number;
}

/** The socket inodes among process `pid`'s open descriptors. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** `0100007F` (little-endian words) as `127.0.0.1`, or 32 hex digits as IPv6. */
function addressOf(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join(""));
  if (words.length === 1) return words[0].match(/../g)!.map((b) => parseInt(b, 16)).join(".");
  return words.join("").match(/.{4}/g)!.join(":");
}

/** The TCP sockets process `pid` listens on. */
export function listeners(pid: number): Listener[] {
  const inodes = socketInodes(pid);
  const found: Listener[] = [];
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/net/${table}`);
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== "0A" || !inodes.has(fields[9])) continue; // 0A: LISTEN
      const [address, port] = fields[1].split(":");
      found.push({ address: addressOf(address), port: parseInt(port, 16) });
    }
  }
  return found;
}

/** Whether any process (visible to this one) listens on TCP `port`. */
export function anyListenerOn(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return ["tcp", "tcp6"].some((table) => {
    try {
      return Deno.readTextFileSync(`/proc/net/${table}`).split("\n").slice(1).some((line) => {
        const fields = line.trim().split(/\s+/);
        return fields[3] === "0A" && fields[1]?.endsWith(hex);
      });
    } catch {
      return false;
    }
  });
}

/** "connected", or the name of the error a TCP connect to `hostname:port` ends with. */
export async function tryConnect(hostname: string, port: number): Promise<string> {
  try {
    const connection = await Deno.connect({ hostname, port });
    connection.close();
    return "connected";
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
}
