// Production build: bundles src/main.js into dist/, inlining VITE_* variables as Vite does.
import { build } from "esbuild";
import { readFileSync, mkdirSync, copyFileSync } from "node:fs";

const options = JSON.parse(readFileSync("build.options.json", "utf8"));
const define = { "import.meta.env.MODE": JSON.stringify(process.env.NODE_ENV || "development") };
for (const [key, value] of Object.entries(process.env)) {
  if (key.startsWith("VITE_")) define[`import.meta.env.${key}`] = JSON.stringify(value);
}
mkdirSync("dist", { recursive: true });
copyFileSync("index.html", "dist/index.html");
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  outdir: "dist/assets",
  sourcemap: options.sourcemap,
  define,
  logLevel: "info",
});
