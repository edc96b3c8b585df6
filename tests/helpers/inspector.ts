/**
 * A minimal DevTools protocol client for a host started with an open
 * inspector, and readers of its heap snapshots: object counts by
 * constructor, and the strong paths that keep objects alive. Used by
 * tests/pool_faults_test.ts and bench/memory/churn_memory.ts.
 *
 * @module
 */

/** A V8 heap snapshot as JSON. */
export interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** The shortest strong path from the roots to a few of the objects named `name`. */
export function retainingPaths(snap: HeapSnapshot, name: string, samples = 3): string[] {
  const meta = snap.snapshot.meta;
  const nw = meta.node_fields.length, ew = meta.edge_fields.length;
  const [nType, nName, nEdges] = ["type", "name", "edge_count"].map((f) =>
    meta.node_fields.indexOf(f)
  );
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) =>
    meta.edge_fields.indexOf(f)
  );
  const edgeTypes = meta.edge_types[0];
  const nodeTypes = meta.node_types[0];
  const count = snap.nodes.length / nw;
  const firstEdge = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    firstEdge[i + 1] = firstEdge[i] + snap.nodes[i * nw + nEdges] * ew;
  }
  const parent = new Int32Array(count).fill(-1);
  const via = new Int32Array(count).fill(-1);
  parent[0] = 0;
  const queue = [0];
  for (let q = 0; q < queue.length; q++) {
    const from = queue[q];
    for (let e = firstEdge[from]; e < firstEdge[from + 1]; e += ew) {
      if (edgeTypes[snap.edges[e + eType]] === "weak") continue;
      const to = snap.edges[e + eTo] / nw;
      if (parent[to] !== -1) continue;
      parent[to] = from;
      via[to] = e;
      queue.push(to);
    }
  }
  const label = (i: number) =>
    `${nodeTypes[snap.nodes[i * nw + nType]]}:${
      String(snap.strings[snap.nodes[i * nw + nName]]).slice(0, 50)
    }`;
  const edgeLabel = (e: number) => {
    const type = edgeTypes[snap.edges[e + eType]];
    const n = snap.edges[e + eName];
    return type === "element" || type === "hidden" ? `[${n}]` : `.${snap.strings[n]}`;
  };
  const found: number[] = [];
  for (let i = count - 1; i >= 0 && found.length < samples; i--) {
    if (snap.strings[snap.nodes[i * nw + nName]] === name && parent[i] !== -1) found.push(i);
  }
  return found.map((i) => {
    const steps: string[] = [];
    for (let at = i; at !== 0 && steps.length < 40; at = parent[at]) {
      steps.push(`${label(at)} <-${edgeLabel(via[at])}-`);
    }
    return steps.join("\n    ");
  });
}

/** How many nodes of the snapshot of `type` (default "object") are named `name` (their class). */
export function countNamed(snap: HeapSnapshot, name: string, type = "object"): number {
  const meta = snap.snapshot.meta;
  const width = meta.node_fields.length;
  const at = meta.node_fields.indexOf("name");
  const typeAt = meta.node_fields.indexOf("type");
  const typeIndex = meta.node_types[0].indexOf(type);
  let count = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    if (snap.nodes[i + typeAt] === typeIndex && snap.strings[snap.nodes[i + at]] === name) count++;
  }
  return count;
}

/** A minimal DevTools protocol client over the inspector's WebSocket. */
export class Cdp {
  #ws: WebSocket;
  #next = 1;
  #waiting = new Map<number, (message: Record<string, unknown>) => void>();
  #chunks: string[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
        this.#chunks.push(message.params.chunk);
      } else if (typeof message.id === "number") {
        this.#waiting.get(message.id)?.(message);
        this.#waiting.delete(message.id);
      }
    };
  }

  /** Connects to the first target of the inspector on 127.0.0.1:`port`. */
  static async connect(port: number): Promise<Cdp> {
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    return await Cdp.open(targets[0].webSocketDebuggerUrl);
  }

  /** Connects to the inspector's WebSocket at `url` (as "Debugger listening on" prints it). */
  static async open(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Cdp(ws);
  }

  /** Sends a DevTools protocol command; resolves with its answer. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }

  /** `Deno.memoryUsage()` of the inspected isolate. */
  async memoryUsage(): Promise<Deno.MemoryUsage> {
    const answer = await this.send("Runtime.evaluate", {
      expression: "Deno.memoryUsage()",
      returnByValue: true,
    });
    return (answer.result as { result: { value: Deno.MemoryUsage } }).result.value;
  }

  /** A new heap snapshot, parsed. */
  async rawSnapshot(): Promise<HeapSnapshot> {
    this.#chunks = [];
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const snap = JSON.parse(this.#chunks.join(""));
    this.#chunks = [];
    return snap;
  }

  /** Object counts and self sizes by "type:name" in a new heap snapshot. */
  async snapshot(): Promise<Map<string, { count: number; size: number }>> {
    const snap = await this.rawSnapshot();
    const fields: string[] = snap.snapshot.meta.node_fields;
    const types: string[] = snap.snapshot.meta.node_types[0];
    const width = fields.length;
    const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
    const counts = new Map<string, { count: number; size: number }>();
    const nodes: number[] = snap.nodes;
    for (let i = 0; i < nodes.length; i += width) {
      const key = `${types[nodes[i + typeAt]]}:${
        String(snap.strings[nodes[i + nameAt]]).slice(0, 60)
      }`;
      const entry = counts.get(key) ?? { count: 0, size: 0 };
      entry.count++;
      entry.size += nodes[i + sizeAt];
      counts.set(key, entry);
    }
    return counts;
  }

  /** Closes the connection. */
  close(): void {
    this.#ws.close();
  }
}
