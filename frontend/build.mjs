// Builds the vendored front end into cpd_tracker/static. Run by `make frontend`
// after `npm ci`; `node build.mjs --check` builds in memory and fails if the
// committed files differ (for CI, so a Sass edit without a rebuild is caught).
//
// Output, all committed (the app must run in closed networks without Node):
//   static/app.css                      our Sass + the GOV.UK Frontend parts we use
//   static/app.js                       tiny ES module that initialises GOV.UK Frontend
//   static/favicon.svg                  our own mark (not GOV.UK's crown)
//   static/govuk/govuk-frontend.min.js  GOV.UK Frontend's ES module bundle (+ .map)
//   static/govuk/LICENCE.txt            its MIT licence
//
// Deterministic: no timestamps, no absolute paths, no CSS source map (Sass
// would embed this machine's paths), LF line endings; two runs give the same
// bytes.
import { readFileSync, writeFileSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const staticDir = join(repo, "cpd_tracker", "static");
const govukDist = join(here, "node_modules", "govuk-frontend", "dist", "govuk");
const check = process.argv.includes("--check");

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

function fail(message) {
  console.error(`frontend build: ${message}`);
  process.exit(1);
}

// The pin in package.json is the source of truth; refuse to build from a
// node_modules that does not match it (for example a stale `npm install`).
const pinned = readJson(join(here, "package.json")).devDependencies;
const govukVersion = readJson(join(here, "node_modules", "govuk-frontend", "package.json")).version;
const sassVersion = readJson(join(here, "node_modules", "sass", "package.json")).version;
if (govukVersion !== pinned["govuk-frontend"] || sassVersion !== pinned.sass) {
  fail(
    `node_modules has govuk-frontend ${govukVersion} and sass ${sassVersion}, package.json pins ` +
      `${pinned["govuk-frontend"]} and ${pinned.sass}: run \`make frontend\` (it runs npm ci)`,
  );
}

function buildCss() {
  const result = sass.compile(join(here, "scss", "app.scss"), {
    style: "compressed",
    // We write our own @charset line: a comment may not precede it, and in
    // compressed mode Sass would otherwise emit a byte-order mark instead.
    charset: false,
    importers: [new sass.NodePackageImporter(here)],
  });
  const css = result.css;

  // Guard rails for "no GOV.UK brand, no external requests".
  const forbidden = [
    ["GDS Transport", "the GOV.UK typeface"],
    ["@font-face", "a web font"],
    ["url(", "an asset URL (fonts or images)"],
    ["crest", "the GOV.UK crest"],
    ["@import", "a CSS import"],
  ];
  for (const [needle, what] of forbidden) {
    if (css.includes(needle)) fail(`app.css contains ${what} (${needle}); see frontend/scss/app.scss`);
  }

  const header =
    `/*! SEND CPD Tracker stylesheet, built from frontend/scss by \`make frontend\` with sass ${sassVersion}. ` +
    `Includes GOV.UK Frontend ${govukVersion} (https://github.com/alphagov/govuk-frontend), ` +
    `Copyright (C) 2017 Crown Copyright (Government Digital Service), MIT licence: see govuk/LICENCE.txt. ` +
    `Used without the GOV.UK brand: no GDS Transport font, crown or logo. */`;
  return `@charset "UTF-8";${header}\n${css}\n`;
}

function licence() {
  // The npm package ships no LICENSE file (its package.json says "MIT" and its
  // README says the codebase is MIT); the text is the repository's
  // LICENSE.txt, kept in frontend/licences/.
  if (readJson(join(here, "node_modules", "govuk-frontend", "package.json")).license !== "MIT") {
    fail("govuk-frontend's licence is no longer MIT: review before vendoring");
  }
  const text = readFileSync(join(here, "licences", "govuk-frontend-LICENSE.txt"), "utf8");
  return (
    `GOV.UK Frontend ${govukVersion}, vendored in this folder as govuk-frontend.min.js\n` +
    `https://github.com/alphagov/govuk-frontend\n\n${text}`
  );
}

// Relative path (under static/) -> contents.
const outputs = new Map([
  ["app.css", buildCss()],
  ["app.js", readFileSync(join(here, "js", "app.js"))],
  ["favicon.svg", readFileSync(join(here, "images", "favicon.svg"))],
  ["govuk/govuk-frontend.min.js", readFileSync(join(govukDist, "govuk-frontend.min.js"))],
  ["govuk/govuk-frontend.min.js.map", readFileSync(join(govukDist, "govuk-frontend.min.js.map"))],
  ["govuk/LICENCE.txt", licence()],
]);

if (check) {
  const stale = [];
  for (const [path, contents] of outputs) {
    const target = join(staticDir, path);
    if (!existsSync(target) || !readFileSync(target).equals(Buffer.from(contents))) stale.push(path);
  }
  if (stale.length) fail(`out of date in cpd_tracker/static: ${stale.join(", ")}; run \`make frontend\``);
  console.log("frontend build: cpd_tracker/static is up to date");
} else {
  // govuk/ is wholly ours to regenerate; app.* and favicon are overwritten in
  // place so anything else the app keeps in static/ is left alone.
  rmSync(join(staticDir, "govuk"), { recursive: true, force: true });
  for (const [path, contents] of outputs) {
    const target = join(staticDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, contents);
    console.log(`wrote ${relative(repo, target)}`);
  }
}
