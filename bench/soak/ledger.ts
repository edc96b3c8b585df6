/**
 * The soak's ledger: every request id it sent, whether its answer came
 * exactly once, and whether the answer fits the request.
 *
 * @module
 */

/** An answer as it comes off the wire. */
export interface Response {
  readonly id?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

/**
 * What a request expects: a result equal to `result` (errors are counted,
 * not judged), only an error (`"error"`), or anything (`"any"`).
 */
export type Expect = { readonly result: unknown } | "error" | "any";

const PENDING = 1, ANSWERED = 2, DROPPED = 3;

/** The calls of the soak, by id. */
export class Ledger {
  #state = new Uint8Array(1 << 16);
  #expect = new Map<number, { kind: string; expect: Expect }>();
  #nextId = 1;
  /** Requests sent with an id. */
  sent = 0;
  /** Answers that matched a pending id. */
  answered = 0;
  /** Answers to an id answered already. */
  duplicates = 0;
  /** Answers to an id never sent, or without a usable id. */
  unknown = 0;
  /** Answers that contradict their request (another call's result, a result for a throw). */
  wrong = 0;
  /** Requests whose connection the soak dropped on purpose before the answer. */
  dropped = 0;
  /** Error answers by kind of call and code, as "kind code". */
  readonly errors = new Map<string, number>();
  /** A few wrong answers, for the report. */
  readonly wrongExamples: string[] = [];

  /** Registers a request of `kind` and returns its id. */
  issue(kind: string, expect: Expect): number {
    const id = this.#nextId++;
    if (id >= this.#state.length) {
      const grown = new Uint8Array(this.#state.length * 2);
      grown.set(this.#state);
      this.#state = grown;
    }
    this.#state[id] = PENDING;
    this.#expect.set(id, { kind, expect });
    this.sent++;
    return id;
  }

  /** Books an answer. */
  answer(response: Response): void {
    const id = response.id;
    if (typeof id !== "number" || !Number.isInteger(id) || id <= 0 || id >= this.#nextId) {
      this.unknown++;
      return;
    }
    const state = this.#state[id];
    if (state === ANSWERED) {
      this.duplicates++;
      return;
    }
    if (state !== PENDING) {
      this.unknown++;
      return;
    }
    this.#state[id] = ANSWERED;
    this.answered++;
    const { kind, expect } = this.#expect.get(id)!;
    this.#expect.delete(id);
    if (response.error !== undefined) {
      const key = `${kind} ${response.error.code}`;
      this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
      return;
    }
    if (expect === "any") return;
    if (expect === "error" || JSON.stringify(response.result) !== JSON.stringify(expect.result)) {
      this.wrong++;
      if (this.wrongExamples.length < 5) {
        this.wrongExamples.push(`${kind} #${id}: ${JSON.stringify(response).slice(0, 200)}`);
      }
    }
  }

  /** The soak dropped the connection of `id` on purpose: no answer is due. */
  drop(id: number): void {
    if (this.#state[id] !== PENDING) return;
    this.#state[id] = DROPPED;
    this.#expect.delete(id);
    this.dropped++;
  }

  /** Requests still waiting for their answer (dropped ones aside). */
  get pending(): number {
    return this.#expect.size;
  }

  /** The kinds of the requests still waiting, counted, as "kind×n". */
  pendingKinds(): string {
    const counts = new Map<string, number>();
    for (const { kind } of this.#expect.values()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    return [...counts].map(([kind, n]) => `${kind}×${n}`).join(", ");
  }
}
