import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { PolicyPackLoader } from './PolicyPackLoader';
import { REPO_ROOT } from '../__testUtils__/catalog';

describe('PolicyPackLoader', () => {
  let dir: string;
  const baseline = fs.readFileSync(
    path.join(REPO_ROOT, 'policies/baseline.yaml'),
    'utf8',
  );

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-packs-'));
    fs.writeFileSync(path.join(dir, 'baseline.yaml'), baseline);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads the packs of a folder', async () => {
    const loader = new PolicyPackLoader(dir, mockServices.logger.mock());
    const status = await loader.reload();
    expect(status.errors).toEqual([]);
    expect(status.packs).toEqual([
      expect.objectContaining({ name: 'baseline', file: 'baseline.yaml' }),
    ]);
    expect(loader.policy.ruleHashes.size).toBe(
      loader.policy.packs[0].checks.length,
    );
  });

  it('refuses a malformed pack, names file, check and problem, and keeps serving the last good one', async () => {
    const logger = mockServices.logger.mock();
    const loader = new PolicyPackLoader(dir, logger);
    await loader.reload();
    const good = loader.policy;

    fs.writeFileSync(
      path.join(dir, 'baseline.yaml'),
      baseline.replace(
        'rule: refs.owner.startsWith("group:") && refs.owner in groups',
        'rule: refs.owner.startsWith(',
      ),
    );
    const status = await loader.reload();
    expect(status.errors).toEqual([
      expect.objectContaining({
        file: 'baseline.yaml',
        checkId: 'ownership.group-exists',
        problem: expect.stringMatching(/rule is not valid CEL/),
      }),
    ]);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringMatching(/baseline\.yaml: check 'ownership\.group-exists'/),
    );
    expect(
      loader.policy.packs[0].checks.find(c => c.id === 'ownership.group-exists')
        ?.rule,
    ).toContain('refs.owner in groups');
    expect(loader.policy.packs).toEqual(good.packs);
  });

  it('refuses a second pack that reuses a check id', async () => {
    fs.writeFileSync(
      path.join(dir, 'extra.yaml'),
      baseline.replace('name: baseline', 'name: extra'),
    );
    const loader = new PolicyPackLoader(dir, mockServices.logger.mock());
    const status = await loader.reload();
    expect(status.errors[0]).toEqual(
      expect.objectContaining({
        file: 'extra.yaml',
        problem: expect.stringMatching(/also used by pack 'baseline'/),
      }),
    );
    expect(loader.policy.packs.map(p => p.name)).toEqual(['baseline']);
  });

  it('will not start without any usable pack', async () => {
    fs.writeFileSync(path.join(dir, 'baseline.yaml'), 'kind: nonsense');
    await expect(
      new PolicyPackLoader(dir, mockServices.logger.mock()).reload(),
    ).rejects.toThrow(/no usable policy pack/);
  });
});
