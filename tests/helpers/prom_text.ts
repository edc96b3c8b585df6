/**
 * A strict reader of the Prometheus text format (0.0.4) for tests: every
 * sample must follow its family's `# HELP` and `# TYPE`, names and labels
 * must be well formed, values numbers, histogram buckets cumulative with
 * `+Inf` equal to `_count`. Throws naming the line on any fault.
 *
 * @module
 */

/** One sample line. */
export interface PromSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A parsed exposition: the families' types and every sample. */
export interface PromText {
  readonly types: Map<string, string>;
  readonly samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"\s*(,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (match === null) throw new Error(`bad labels in: ${line}`);
    if (match[1] in labels) throw new Error(`label ${match[1]} twice in: ${line}`);
    labels[match[1]] = match[2].replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
  }
  return labels;
}

function family(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return types.get(base) === "histogram" ? base : undefined;
}

/** Parses and checks `text`. */
export function parsePromText(text: string): PromText {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: PromSample[] = [];
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      if (!NAME.test(comment[2])) throw new Error(`bad metric name: ${line}`);
      if (comment[1] === "HELP") helped.add(comment[2]);
      else {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(comment[3])) {
          throw new Error(`bad type: ${line}`);
        }
        if (types.has(comment[2])) throw new Error(`type given twice: ${line}`);
        types.set(comment[2], comment[3]);
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not a sample: ${line}`);
    const owner = family(sample[1], types);
    if (owner === undefined || !helped.has(owner)) {
      throw new Error(`sample before its # HELP and # TYPE: ${line}`);
    }
    const value = Number(sample[3].replace(/^\+Inf$/, "Infinity").replace(/^-Inf$/, "-Infinity"));
    if (Number.isNaN(value) && sample[3] !== "NaN") throw new Error(`bad value: ${line}`);
    if (types.get(owner) === "counter" && !sample[1].endsWith("_total")) {
      throw new Error(`a counter not named _total: ${line}`);
    }
    samples.push({ name: sample[1], labels: parseLabels(sample[2] ?? "", line), value });
  }
  checkHistograms(types, samples);
  return { types, samples };
}

function checkHistograms(types: Map<string, string>, samples: PromSample[]): void {
  for (const [name, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, PromSample[]>();
    for (const sample of samples.filter((s) => s.name === `${name}_bucket`)) {
      const { le: _, ...rest } = sample.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++) {
        if (buckets[i].value < buckets[i - 1].value) {
          throw new Error(`${name}${key}: not cumulative`);
        }
      }
      const last = buckets[buckets.length - 1];
      const count = samples.find((s) =>
        s.name === `${name}_count` && JSON.stringify(s.labels) === key
      );
      if (last.labels.le !== "+Inf" || count?.value !== last.value) {
        throw new Error(`${name}${key}: +Inf bucket missing or not equal to _count`);
      }
    }
  }
}

/** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
export function sampleValue(
  text: PromText,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = text.samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  if (found.length > 1) {
    throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  }
  return found[0]?.value;
}
