// Builds the dashboard into functions/dashboard/site: index.html, which names its assets, and assets/ with each
// file named by a hash of its content (so the page may be cached by no one and the assets for a year).
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const site = join(here, "..", "functions", "dashboard", "site");
const assets = join(site, "assets");

await rm(site, { recursive: true, force: true });
const { metafile } = await build({
  entryPoints: [join(here, "src", "main.js"), join(here, "src", "style.css")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  entryNames: "[name]-[hash]",
  outdir: assets,
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.entries(metafile.outputs).filter(([, output]) => output.entryPoint);
const named = (extension) => {
  const found = outputs.find(([path]) => path.endsWith(extension));
  if (!found) throw new Error(`the build made no ${extension} entry`);
  return `/dashboard/assets/${basename(found[0])}`;
};
const page = (await readFile(join(here, "index.html"), "utf8"))
  .replace("{{script}}", named(".js"))
  .replace("{{stylesheet}}", named(".css"));
await mkdir(site, { recursive: true });
await writeFile(join(site, "index.html"), page);
console.log(`dashboard built: ${outputs.map(([path]) => basename(path)).join(", ")}`);
