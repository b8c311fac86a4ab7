// Test support: runs a rendered project's own Python tests on this machine, those whose imports (followed through
// the project's own modules) are installed here; the rest are reported, not silently passed.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RenderedFile } from './renderBlueprint';

const run = promisify(execFile);

/** Debian's Python, where `apt-get install python3-pandas` and friends put libraries; FORGE_PYTHON overrides. */
const PYTHON =
  process.env.FORGE_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

// Lists, for each test file, the third-party modules it needs (directly or through the project's modules) that
// cannot be imported here.
const MISSING_IMPORTS = `
import ast, importlib.util, json, sys
from pathlib import Path
root = Path(sys.argv[1]); src = root / "src"
local = {p.name for p in src.iterdir() if p.is_dir()} if src.exists() else set()
def imports(file, seen):
    if file in seen or not file.exists():
        return set()
    seen.add(file)
    found = set()
    # Imports that run when the module is imported: not those inside functions.
    def walk(node):
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield child
                yield from walk(child)
    for node in walk(ast.parse(file.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
        for name in names:
            top = name.split(".")[0]
            if top in local:
                parts = name.split(".")
                target = src.joinpath(*parts)
                found |= imports(target.with_suffix(".py"), seen) | imports(target / "__init__.py", seen)
            else:
                found.add(top)
    return found
result = {}
for test in sorted((root / "tests").glob("test_*.py")):
    missing = sorted(m for m in imports(test, set()) if m not in ("pytest", "__future__") and importlib.util.find_spec(m) is None)
    result[str(test.relative_to(root))] = missing
print(json.dumps(result))
`;

export interface GeneratedTestRun {
  ran: string[];
  notRunnable: Array<{ file: string; missing: string[] }>;
  passed: boolean;
  output: string;
}

export async function runGeneratedTests(files: RenderedFile[]): Promise<GeneratedTestRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-project-'));
  try {
    for (const file of files) {
      const target = path.join(dir, file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.content);
    }
    if (!fs.existsSync(path.join(dir, 'tests'))) {
      return { ran: [], notRunnable: [], passed: true, output: 'no tests/ folder' };
    }
    const { stdout } = await run(PYTHON, ['-c', MISSING_IMPORTS, dir]);
    const missingByFile = JSON.parse(stdout) as Record<string, string[]>;
    const ran = Object.keys(missingByFile).filter(f => missingByFile[f].length === 0);
    const notRunnable = Object.entries(missingByFile)
      .filter(([, missing]) => missing.length > 0)
      .map(([file, missing]) => ({ file, missing }));
    if (ran.length === 0) return { ran, notRunnable, passed: true, output: '' };
    try {
      const result = await run(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...ran], {
        cwd: dir,
        env: { ...process.env, PYTHONPATH: path.join(dir, 'src'), MLFLOW_TRACKING_URI: '' },
        timeout: 120_000,
      });
      return { ran, notRunnable, passed: true, output: result.stdout };
    } catch (e) {
      const error = e as { stdout?: string; stderr?: string };
      return { ran, notRunnable, passed: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
