import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../__testUtils__';

const script = path.join(REPO_ROOT, 'templates/_shared/skeleton/ci/forge_facts.py');

describe('ci/forge_facts.py, the generated projects CI reporter', () => {
  it("sends collectedAt as the policies' timestamp() reads it: UTC, to the second, with Z", async () => {
    // Without FORGE_URL and FORGE_TOKEN it prints the fact it would send.
    const env = { ...process.env };
    delete env.FORGE_URL;
    delete env.FORGE_TOKEN;
    const { stdout } = await promisify(execFile)('python3', [script, 'ci', '--status', 'success'], { env });
    const fact = JSON.parse(stdout.slice(stdout.indexOf('{')));
    // isoformat() wrote 2026-12-06T05:17:03.123456+00:00, which CEL's timestamp() refuses (issue 11).
    expect(fact.collectedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(Date.parse(fact.collectedAt) - Date.now())).toBeLessThan(60_000);
    expect(fact).toMatchObject({ name: 'ci', data: { status: 'passing' } });
  });
});
