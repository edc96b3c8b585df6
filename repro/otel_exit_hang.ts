// Deno 2.9.6 with OTEL_DENO=true sometimes never ends: Deno.exit(0), called
// from a SIGTERM listener in a program that has observable gauges, returns
// to nothing and the process stays, its main thread waiting on a futex, until
// SIGKILL. The host's exit is this exit (docs/observability.md, "At exit").
//
//   deno run --allow-net --allow-env --allow-run repro/otel_exit_hang.ts [RUNS] [--no-gauges]
//
// Deno 2.9.6 on a 2-core VM printed
//   with 30 observable gauges: 1 of 40 exits hung (then killed after 8 s) (2 of 40 in
//   an earlier run)
//   without gauges: 0 of 40 exits hung
// Removing the gauges' callbacks before Deno.exit did not help (1 of 40), nor did
// synchronous gauges recorded every 500 ms instead of observable ones (1 of 40).

const CHILD = "REPRO_CHILD";

if (Deno.env.get(CHILD) !== undefined) {
  if (Deno.env.get(CHILD) === "gauges") {
    const meter = (Deno as unknown as {
      telemetry: { meterProvider: { getMeter(name: string): GaugeMaker } };
    }).telemetry.meterProvider.getMeter("repro");
    for (let i = 0; i < 30; i++) {
      meter.createObservableGauge(`gauge_${i}`, { description: "a gauge" }).addCallback(
        (observer) => {
          for (let j = 0; j < 5; j++) observer.observe(j, { label: String(j) });
        },
      );
    }
  }
  Deno.addSignalListener("SIGTERM", () => setTimeout(() => Deno.exit(0), 10));
  setInterval(() => {}, 200);
} else {
  const runs = Number(Deno.args.find((arg) => /^\d+$/.test(arg)) ?? 40);
  const gauges = !Deno.args.includes("--no-gauges");
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (r) => {
    await r.arrayBuffer();
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  let hung = 0;
  for (let i = 0; i < runs; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-env", new URL(import.meta.url).pathname],
      env: {
        [CHILD]: gauges ? "gauges" : "plain",
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_METRIC_EXPORT_INTERVAL: "500",
        OTEL_BSP_SCHEDULE_DELAY: "200",
      },
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      hung++;
      child.kill("SIGKILL");
    }, 8000);
    await child.status;
    clearTimeout(timer);
  }
  console.log(
    `${gauges ? "with 30 observable gauges" : "without gauges"}: ${hung} of ${runs} exits hung` +
      (hung > 0 ? " (then killed after 8 s)" : ""),
  );
  await receiver.shutdown();
}

interface GaugeMaker {
  createObservableGauge(name: string, options: { description: string }): {
    addCallback(callback: (observer: { observe(v: number, a: object): void }) => void): void;
  };
}
