// Browser half of scripts/browser_check.py (run that, not this): opens every page of the built book in headless
// Chromium through puppeteer-core (installed with mermaid-cli), with the network cut off except 127.0.0.1, and
// reports what each page shows as one JSON object on stdout.
//
// Input (stdin, JSON): {"base": "http://127.0.0.1:PORT/", "pages": ["index.html", ...], "chromium": "/usr/bin/chromium",
//                       "timeout_ms": 30000, "probe_urls": ["http://example.com/", ...]}
// Output (stdout, JSON): {"chromium": VERSION, "network_cut": [{url, blocked, error}], "pages": [{page, problems, stats}]}
//
// The network is cut twice: Chromium's own flags (no host name resolves, everything but loopback goes to a proxy
// that does not exist), checked first by loading probe_urls, which must fail; then request interception aborts
// every request that is not for the local server (reported as a problem of the page that made it).
"use strict";

const fs = require("fs");

let puppeteer;
try {
  puppeteer = require("puppeteer-core");
} catch (err) {
  console.error(`browser_check: cannot load puppeteer-core (${err.message}); run \`make setup\` (npm ci)`);
  process.exit(3);
}

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  "--proxy-server=127.0.0.1:9",
  "--proxy-bypass-list=127.0.0.1",
];

// Runs inside each page after the load event: waits for MathJax and the images, then describes the page.
async function inspectPage(timeoutMs) {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const within = (promise, ms) => Promise.race([promise, sleep(ms)]);
  const short = (text, n = 120) => {
    const flat = (text || "").replace(/\s+/g, " ").trim();
    return flat.length > n ? `${flat.slice(0, n)}...` : flat;
  };
  const problems = [];
  // after a redirect this can run before the new page finished loading
  if (document.readyState !== "complete") {
    await within(new Promise((resolve) => window.addEventListener("load", resolve, { once: true })), timeoutMs);
  }
  const refresh = document.querySelector('meta[http-equiv="refresh" i]');
  if (refresh) return { refresh: refresh.getAttribute("content"), problems: [], stats: {} };

  // images marked lazy would never load in a window that is not scrolled: load them all
  const imgs = Array.from(document.images);
  for (const img of imgs) img.loading = "eager";
  const settled = (img) =>
    new Promise((resolve) => {
      if (img.complete) return resolve();
      img.addEventListener("load", resolve);
      img.addEventListener("error", resolve);
    });
  await within(Promise.all(imgs.map(settled)), timeoutMs);
  let mathjaxError = null;
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    try {
      await within(window.MathJax.startup.promise, timeoutMs);
    } catch (err) {
      mathjaxError = String(err);
    }
  }

  // error outputs: myst-nb renders a cell's traceback as div.output.traceback and its stderr as div.output.stderr;
  // docutils' system messages appear when a build did not stop on a warning
  const errorSelectors = {
    "div.output.traceback": "a cell shows a traceback",
    "div.output.error": "a cell shows an error output",
    "div.output.stderr": "a cell shows stderr output",
    ".system-message": "a build error message is shown",
  };
  for (const [selector, what] of Object.entries(errorSelectors)) {
    for (const el of document.querySelectorAll(selector)) problems.push(`${what}: ${short(el.textContent)}`);
  }

  const brokenImages = imgs.filter((img) => !(img.complete && img.naturalWidth > 0));
  for (const img of brokenImages) problems.push(`image did not load: ${img.getAttribute("src")}`);

  // math: every .math element typeset by MathJax 3 (an mjx-container), no TeX errors, no delimiters left as text
  const mathEls = Array.from(document.querySelectorAll(".math"));
  const containers = document.querySelectorAll("mjx-container").length;
  const untypeset = mathEls.filter((el) => !el.querySelector("mjx-container"));
  for (const el of untypeset.slice(0, 5)) problems.push(`math not typeset: ${short(el.textContent, 80)}`);
  if (untypeset.length > 5) problems.push(`... and ${untypeset.length - 5} more untypeset math elements`);
  for (const el of document.querySelectorAll("mjx-merror")) {
    problems.push(`MathJax error: ${short(el.getAttribute("data-mjx-error") || el.textContent, 80)}`);
  }
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight, kbd, samp";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent && parent.closest(skip)) continue;
    const text = node.textContent;
    const at = text.search(/\$\$|\\\(|\\\[|\\begin\{/);
    if (at >= 0) raw.push(short(text.slice(Math.max(0, at - 20), at + 60), 80));
  }
  for (const snippet of raw.slice(0, 5)) problems.push(`raw math text (not typeset): ${snippet}`);
  if ((mathEls.length || raw.length) && !window.MathJax) problems.push("the page has math but MathJax did not load");
  if (mathjaxError) problems.push(`MathJax failed: ${mathjaxError}`);

  // Mermaid: rendered at build time to an SVG file shown by <object> (or <img>); raw diagram text is a failure
  let mermaidSvgs = 0;
  for (const obj of document.querySelectorAll("object")) {
    const src = obj.getAttribute("data") || "";
    const root = obj.contentDocument && obj.contentDocument.documentElement;
    if (!root) {
      problems.push(`object did not load: ${src}`);
      continue;
    }
    if (!src.includes("mermaid")) continue;
    if (root.localName !== "svg") {
      problems.push(`Mermaid diagram ${src} is not an SVG (got <${root.localName}>)`);
    } else if (/syntax error/i.test(root.textContent) || root.querySelector(".error-icon")) {
      problems.push(`Mermaid diagram ${src} shows a syntax error`);
    } else if (root.querySelectorAll("*").length < 5 || obj.getBoundingClientRect().width === 0) {
      problems.push(`Mermaid diagram ${src} is empty`);
    } else {
      mermaidSvgs += 1;
    }
  }
  for (const img of imgs) {
    const src = img.getAttribute("src") || "";
    if (!src.includes("mermaid")) continue;
    if (!/\.svg(\?|#|$)/.test(src)) problems.push(`Mermaid diagram ${src} is not an SVG`);
    else if (!brokenImages.includes(img)) mermaidSvgs += 1;
  }
  for (const el of document.querySelectorAll("pre.mermaid, div.mermaid")) {
    if (!el.querySelector("svg")) problems.push(`Mermaid diagram left as text: ${short(el.textContent, 60)}`);
    else mermaidSvgs += 1;
  }

  return {
    problems,
    stats: {
      images: imgs.length,
      math_elements: mathEls.length,
      mjx_containers: containers,
      mermaid_svgs: mermaidSvgs,
      title: document.title,
    },
  };
}

async function probeNetwork(browser, urls, timeoutMs) {
  // one fresh tab per probe: a second navigation from Chromium's error page can stall without an answer
  const results = [];
  for (const url of urls) {
    debug("probe", url);
    const page = await browser.newPage();
    try {
      const response = await watchdog(
        page.goto(url, { waitUntil: "domcontentloaded", timeout: timeoutMs }),
        timeoutMs + 5000,
        "the probe",
      );
      results.push({ url, blocked: false, error: `loaded with HTTP ${response ? response.status() : "?"}` });
    } catch (err) {
      const message = String(err.message).split("\n")[0];
      // a probe that neither loads nor fails proves nothing
      results.push({ url, blocked: /^net::ERR_/.test(message), error: message });
    }
    await watchdog(page.close(), timeoutMs, "closing the probe tab").catch(() => null);
  }
  return results;
}

async function checkPage(browser, base, path, timeoutMs) {
  const page = await browser.newPage();
  debug("  new tab");
  const problems = [];
  const local = new URL(base).host;
  let finished = false; // events of a tab being closed (aborted downloads) are not the page's problems
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (finished) return request.abort("aborted");
    const url = request.url();
    let host = null;
    try {
      const parsed = new URL(url);
      host = ["http:", "https:", "ws:", "wss:", "ftp:"].includes(parsed.protocol) ? parsed.host : null;
    } catch {
      host = "?";
    }
    if (host === null || host === local) {
      request.continue();
    } else {
      problems.push(`blocked a request to the internet: ${url}`);
      request.abort("internetdisconnected");
    }
  });
  page.on("requestfailed", (request) => {
    if (finished) return;
    const url = request.url();
    if (new URL(url).host === local) problems.push(`failed to load ${url.slice(base.length)}: ${request.failure()?.errorText}`);
  });
  page.on("response", (response) => {
    if (finished) return;
    const url = response.url();
    // the browser asks for /favicon.ico by itself; no page names it
    if (response.status() >= 400 && url.startsWith(base) && url !== `${base}favicon.ico`) {
      problems.push(`HTTP ${response.status()} for ${url.slice(base.length)}`);
    }
  });
  page.on("pageerror", (err) => finished || problems.push(`JavaScript error: ${String(err.message || err).split("\n")[0]}`));
  const started = Date.now();
  let result = { problems: [], stats: {} };
  try {
    await page.goto(base + path, { waitUntil: "load", timeout: timeoutMs });
    debug("  loaded", page.url());
    // a page that redirects (index.html: <meta http-equiv="refresh">) is inspected where it lands
    for (let attempt = 0; ; attempt++) {
      const before = page.url();
      try {
        result = await page.evaluate(inspectPage, timeoutMs);
      } catch (err) {
        if (attempt >= 5 || !/context was destroyed|navigat/i.test(err.message)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (!result.refresh) break;
      if (attempt >= 5) throw new Error(`redirects too often (last: ${result.refresh})`);
      for (let waited = 0; page.url() === before && waited < timeoutMs; waited += 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    if (page.url() !== base + path) result.stats.landed_on = page.url().slice(base.length);
  } catch (err) {
    problems.push(`did not load: ${String(err.message).split("\n")[0]}`);
  }
  finished = true;
  await watchdog(page.close(), timeoutMs, "closing the tab").catch(() => null);
  result.stats.seconds = (Date.now() - started) / 1000;
  return { page: path, problems: [...problems, ...result.problems], stats: result.stats };
}

const DEBUG = Boolean(process.env.BROWSER_CHECK_DEBUG);
const t0 = Date.now();
function debug(...args) {
  if (DEBUG) console.error(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...args);
}

// a page that hangs the browser must not hang the check: give up on it after `ms`
function watchdog(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

async function main() {
  const cfg = JSON.parse(fs.readFileSync(0, "utf8"));
  const timeoutMs = cfg.timeout_ms || 30000;
  debug("launch", cfg.chromium);
  const browser = await puppeteer.launch({
    executablePath: cfg.chromium || "/usr/bin/chromium",
    headless: true, // Chromium's --headless (puppeteer passes it as --headless=new, what a bare --headless means)
    args: FLAGS,
    protocolTimeout: 4 * timeoutMs,
  });
  debug("launched", browser.process()?.pid);
  // stopped by the Python driver (its timeout) or by hand: take the browser down too, it runs detached
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      browser.process()?.kill("SIGKILL");
      process.exit(5);
    });
  }
  const out = { chromium: await browser.version(), flags: FLAGS, network_cut: [], pages: [] };
  try {
    out.network_cut = await probeNetwork(browser, cfg.probe_urls || [], Math.min(timeoutMs, 15000));
    debug("network probes", JSON.stringify(out.network_cut));
    if (out.network_cut.every((probe) => probe.blocked)) {
      for (const path of cfg.pages) {
        debug("open", path);
        try {
          out.pages.push(await watchdog(checkPage(browser, cfg.base, path, timeoutMs), 3 * timeoutMs, "the page"));
        } catch (err) {
          out.pages.push({ page: path, problems: [`did not finish: ${err.message}`], stats: {} });
        }
        debug("done", path, JSON.stringify(out.pages.at(-1)));
      }
    }
  } finally {
    await watchdog(browser.close(), 30000, "closing the browser").catch(() => browser.process()?.kill("SIGKILL"));
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(`browser_check: ${err.stack || err}`);
  process.exit(2);
});
