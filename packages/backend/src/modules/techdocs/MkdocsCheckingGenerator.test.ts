import { PassThrough } from 'node:stream';
import { GeneratorRunOptions } from '@backstage/plugin-techdocs-node';
import {
  isMkdocsInstalled,
  MKDOCS_MISSING_MESSAGE,
  MkdocsCheckingGenerator,
} from './MkdocsCheckingGenerator';

function runOptions(logStream: PassThrough): GeneratorRunOptions {
  return { inputDir: '/in', outputDir: '/out', logger: {} as any, logStream };
}

describe('MkdocsCheckingGenerator', () => {
  it('fails the build with install instructions when mkdocs is missing', async () => {
    const inner = { run: jest.fn() };
    const generator = new MkdocsCheckingGenerator(inner, () => false);
    const log = new PassThrough();
    const chunks: string[] = [];
    log.on('data', c => chunks.push(String(c)));

    await expect(generator.run(runOptions(log))).rejects.toThrow(
      /apt-get install mkdocs/,
    );
    expect(inner.run).not.toHaveBeenCalled();
    expect(chunks.join('')).toContain(MKDOCS_MISSING_MESSAGE);
  });

  it('delegates to the standard generator when mkdocs is there', async () => {
    const inner = { run: jest.fn().mockResolvedValue(undefined) };
    const generator = new MkdocsCheckingGenerator(inner, () => true);
    await generator.run(runOptions(new PassThrough()));
    expect(inner.run).toHaveBeenCalledTimes(1);
  });

  it('detects a command that does not exist', () => {
    expect(isMkdocsInstalled('forge-no-such-mkdocs-binary')).toBe(false);
  });
});
