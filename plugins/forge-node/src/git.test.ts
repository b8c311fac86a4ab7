import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, gitStream, hasBranch } from './git';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('git', () => {
  let root: string;
  let expectedSize: number;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-git-'));
    // More than a pipe buffer holds (64 KiB), so git must wait for its reader.
    fs.writeFileSync(path.join(root, 'big.txt'), 'x'.repeat(200 * 1024));
    await git(['init', '--quiet', root]);
    await git(['add', 'big.txt'], { cwd: root });
    await git(['commit', '--quiet', '-m', 'big'], { cwd: root });
    expectedSize = (
      await readAll(gitStream(['-C', root, 'archive', '--format=tar', 'main']))
    ).length;
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('streams all of the output even when it is read only later', async () => {
    expect(expectedSize).toBeGreaterThan(200 * 1024);
    for (let i = 0; i < 5; i++) {
      const stream = gitStream(['-C', root, 'archive', '--format=tar', 'main']);
      await new Promise(resolve => setTimeout(resolve, 100));
      expect((await readAll(stream)).length).toBe(expectedSize);
    }
  });

  it('fails the stream with git’s message when git fails', async () => {
    await expect(
      readAll(
        gitStream(['-C', root, 'archive', '--format=tar', 'no-such-branch']),
      ),
    ).rejects.toThrow(/git archive failed: .*no-such-branch/);
  });

  it('knows which branches a repository has', async () => {
    expect(await hasBranch(path.join(root, '.git'), 'main')).toBe(true);
    expect(await hasBranch(path.join(root, '.git'), 'nope')).toBe(false);
  });
});
