/**
 * A raw socket client for tests that send what a well-behaved client never
 * would: partial lines, bad JSON, huge lines, half-closes.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A raw connection that reads answers line by line. */
export class RawClient {
  readonly conn: Deno.UnixConn;
  #text = "";
  #partial = "";
  #lines: string[] = [];
  #ended = false;
  #reading: Promise<void>;

  private constructor(conn: Deno.UnixConn) {
    this.conn = conn;
    this.#reading = (async () => {
      const decoder = new TextDecoder();
      const buffer = new Uint8Array(65536);
      try {
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) break;
          const chunk = decoder.decode(buffer.subarray(0, n), { stream: true });
          if (this.#text.length < 1_000_000) this.#text += chunk;
          const parts = (this.#partial + chunk).split("\n");
          this.#partial = parts.pop()!;
          for (const line of parts) this.#lines.push(line);
        }
      } catch {
        // reset by the host
      }
      this.#ended = true;
    })();
  }

  /** Connects to `path`. */
  static async connect(path: string): Promise<RawClient> {
    return new RawClient(await Deno.connect({ transport: "unix", path }));
  }

  /** Writes `text` (or bytes) as it is. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let done = 0; done < bytes.length;) done += await this.conn.write(bytes.subarray(done));
  }

  /** Half-closes: the host sees the end of input but can still answer. */
  async closeWrite(): Promise<void> {
    await this.conn.closeWrite();
  }

  /** True once the host has closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Waits for `n` complete lines and returns them parsed. */
  async lines(n: number, timeoutMs = 10_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const lines = this.#lines;
      if (lines.length >= n) return lines.slice(0, n).map((line) => JSON.parse(line));
      if (this.#ended || Date.now() > deadline) {
        throw new Error(`expected ${n} lines, got ${lines.length}: ${this.#text.slice(0, 500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits until the host closes the connection; false if it did not in time. */
  async waitEnd(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.#ended;
  }

  /** Complete lines received so far. */
  get lineCount(): number {
    return this.#lines.length;
  }

  /** Everything received so far (the first megabyte). */
  get text(): string {
    return this.#text;
  }

  /** Closes the connection and waits for the reader. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // closed already
    }
    await this.#reading;
  }
}

/** One request line. */
export function request(id: unknown, method: string, params?: unknown): string {
  const body: Record<string, unknown> = { jsonrpc: "2.0", method, id };
  if (params !== undefined) body.params = params;
  return JSON.stringify(body) + "\n";
}
