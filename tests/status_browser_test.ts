// The status page in a real browser (issue 25): Debian's Chromium, driven
// over its DevTools pipe by puppeteer-core (its --screenshot and --dump-dom
// never end on a page that holds an event stream open). The page must show
// the tasks, show a run within 2 s of an evrexec.run, and fit a phone.
// EVREXEC_SCREENSHOT=docs/status-page.png writes the screenshot the docs use.
import assert from "node:assert/strict";
import { fixture, withHost } from "./helpers/host.ts";

const CHROMIUM = "/usr/bin/chromium";
const OBSERVE = fixture("observe.ts");
const PORT = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/;

const hasChromium = await Deno.stat(CHROMIUM).then((s) => s.isFile, () => false);
if (!hasChromium) console.log(`status page: ${CHROMIUM} is missing; skipping the browser test`);

Deno.test({
  name: "status page in Chromium: the tasks show, and a run appears within 2 s of evrexec.run",
  ignore: !hasChromium,
  fn: withHost(OBSERVE, {
    exec: ["name=steady;workers=2", "name=quick;every=1s", "name=crash;restart=always"],
    args: ["--metrics", "127.0.0.1:0"],
  }, async (host) => {
    const port = Number((await host.waitFor(PORT))[1]);
    const { default: puppeteer } = await import("puppeteer-core");
    const profile = await Deno.makeTempDir({ prefix: "evrexec-chromium-" });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      userDataDir: profile,
      pipe: true,
      headless: true,
    });
    try {
      const page = await browser.newPage();
      const failures: string[] = [];
      page.on("pageerror", (error) => failures.push(String(error)));
      page.on("requestfailed", (request) => failures.push(`failed: ${request.url()}`));
      page.on("request", (request) => {
        if (!request.url().startsWith(`http://127.0.0.1:${port}/`)) {
          failures.push(`asked elsewhere: ${request.url()}`);
        }
      });
      await page.setViewport({ width: 1000, height: 900 });
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "domcontentloaded" });
      await page.waitForSelector('[data-task="quick"]', { timeout: 10_000 });
      const tasks = await page.$$eval(
        "[data-task]",
        (nodes) => nodes.map((n) => n.getAttribute("data-task")),
      );
      assert.deepEqual(tasks, ["steady", "quick", "crash"]);
      const text = await page.$eval("#tasks", (node) => node.textContent ?? "");
      assert.match(text, /every=1s/);
      assert.match(text, /running/);
      await host.waitFor(/crash loop/);

      const before = await page.$eval("#pool", (node) => node.textContent ?? "");
      assert.doesNotMatch(before, /echo/);
      assert.equal(
        await host.call("evrexec.run", ["echo", "from the browser test"]),
        "from the browser test",
      );
      const called = performance.now();
      await page.waitForFunction(
        `document.querySelector("#pool")?.textContent?.includes("echo")`,
        { timeout: 2000, polling: 50 },
      );
      const ms = performance.now() - called;
      console.log(`the run appeared on the page ${ms.toFixed(0)} ms after evrexec.run answered`);
      await page.waitForFunction(
        `document.querySelector("#events")?.textContent?.includes("crash 0")`,
        { timeout: 2000 },
      );

      const shot = Deno.env.get("EVREXEC_SCREENSHOT") ?? `${host.dir}/status-page.png`;
      await new Promise((resolve) => setTimeout(resolve, 1200)); // heaps asked and shown
      const png = await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
      assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "a PNG");
      console.log(`screenshot: ${shot} (${png.length} bytes)`);

      // a phone-sized window: the page itself does not scroll sideways (tables scroll in their boxes)
      await page.setViewport({ width: 360, height: 740 });
      const overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      ) as number;
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 360 px window`);
      assert.deepEqual(failures, []);
    } finally {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  }),
});
