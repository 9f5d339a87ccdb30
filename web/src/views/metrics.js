// Metrics: where Prometheus scrapes the organization (GET /v1/metrics), a scrape_config ready to paste with the
// bearer credential left to fill (and, for staff, the one of every organization: GET /v1/metrics/all), and what a
// scrape returns right now.
import { copyButton, h, replace, section } from "../dom.js";

export const title = "Metrics";
const SAMPLE_LINES = 40;

export function scrapeConfig(url, job, credential) {
  return [
    "scrape_configs:",
    `  - job_name: ${job}`,
    "    scrape_interval: 60s",
    `    scheme: ${url.protocol.replace(":", "")}`,
    `    metrics_path: ${url.pathname}`,
    "    authorization:",
    "      type: Bearer",
    `      credentials: <${credential}>`,
    "    static_configs:",
    `      - targets: ["${url.host}"]`,
    "",
  ].join("\n");
}

export async function render(context, main) {
  const url = new URL("/v1/metrics", location.origin);
  const config = scrapeConfig(
    url,
    `keytally-${context.organizationSlug}`,
    "a key or token of this organization with metrics:read",
  );
  main.append(
    section(
      "Scrape URL",
      h("p", {}, h("code", { "data-testid": "scrape-url" }, url.href)),
      h("p", {}, "Prometheus text by default; OpenMetrics when the scrape asks for it (Prometheus does)."),
    ),
    section(
      "Prometheus scrape_config",
      h("pre", { "data-testid": "scrape-config", tabindex: 0 }, config),
      copyButton(config, "Copy the scrape_config"),
    ),
  );
  if (context.organization.staff) {
    const all = scrapeConfig(
      new URL("/v1/metrics/all", location.origin),
      "keytally-all",
      "a staff user key, or a token made with access_global_metrics",
    );
    main.append(
      section(
        "Every organization (staff)",
        h("pre", { "data-testid": "scrape-config-all", tabindex: 0 }, all),
        copyButton(all, "Copy the staff scrape_config"),
      ),
    );
  }
  const sample = section("What a scrape returns now");
  main.append(sample);
  if (!context.may("metrics:read") || !context.boundHere) {
    sample.append(
      h(
        "p",
        { class: "empty" },
        "A scrape serves the one organization its credential is bound to: use this organization's key with " +
          "metrics:read, or a token of its owner bound to it (this credential is not one).",
      ),
    );
    return;
  }
  sample.append(h("p", { class: "loading" }, "Loading…"));
  const text = await context.api.text("/v1/metrics");
  const lines = text.split("\n");
  const samples = lines.filter((line) => line && !line.startsWith("#")).length;
  replace(
    sample,
    h("h2", {}, "What a scrape returns now"),
    h(
      "p",
      { "data-metric": "samples", "data-value": samples },
      `${samples} samples; the first ${Math.min(SAMPLE_LINES, lines.length)} lines:`,
    ),
    h("pre", { tabindex: 0, "data-testid": "scrape-sample" }, lines.slice(0, SAMPLE_LINES).join("\n")),
  );
}
