import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { neutraliseSpreadsheetFormula } from '@internal/plugin-forge-node';
import { REPO_ROOT } from '../__testUtils__/catalog';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';
import { checkpointMessage } from './checkpoints';
import { HistoryKeys } from './historyKeys';

/** Runs the auditor's offline check (scripts/verify-evidence.mjs) on an exported file. */
function verifyOffline(
  file: string,
  publicKeyFile: string,
  extra: string[] = [],
) {
  const run = spawnSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'scripts/verify-evidence.mjs'),
      file,
      '--public-key',
      publicKeyFile,
      ...extra,
    ],
    { encoding: 'utf8' },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

jest.setTimeout(60_000);

describe.each(testDatabases.eachSupportedId())(
  'EvidenceService and DashboardService (%s)',
  databaseId => {
    let knex: Knex;
    let clock: ReturnType<typeof testClock>;
    let h: Awaited<ReturnType<typeof createHarness>>;

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      clock = testClock();
      h = await createHarness(knex, { now: clock.now });
      await h.compliance.evaluateAll();
      const exemption = await h.exemptions.request(
        {
          entityRef: 'component:default/claims-fraud-features',
          checkId: 'data.restricted-in-approved-region',
          justification:
            'Migration to eu-west-1 is scheduled for January; read-only until then.',
          compensatingControl:
            'Access limited to two named engineers, reviewed weekly.',
          expiresAt: new Date(
            clock.now().getTime() + 30 * 86400_000,
          ).toISOString(),
        },
        'user:default/mateo.garcia',
      );
      clock.advance(1);
      await h.exemptions.decide(
        exemption.id,
        { status: 'approved' },
        'user:default/daniel.moreau',
      );
      clock.advance(1);
    });
    afterEach(() => knex.destroy());

    it('exports a team\u2019s evidence for one control as CSV with rule versions, fact hashes and decisions', async () => {
      const set = await h.evidence.collect({
        scope: { type: 'group', ref: 'group:default/data-science' },
        controlId: 'AC-4',
        asOf: clock.now(),
      });
      const rows = set.rows;
      // data-science includes its sub-teams fraud-science and pricing-science.
      expect(new Set(rows.map(r => r.ownerRef))).toEqual(
        new Set([
          'group:default/fraud-science',
          'group:default/pricing-science',
        ]),
      );
      expect(rows.every(r => r.controls.includes('AC-4'))).toBe(true);
      const exempt = rows.find(
        r =>
          r.entityRef === 'component:default/claims-fraud-features' &&
          r.checkId === 'data.restricted-in-approved-region',
      )!;
      expect(exempt.status).toBe('exempt');
      expect(exempt.exemption?.decidedBy).toBe('user:default/daniel.moreau');

      const csv = h.evidence.toCsv(set);
      const [header, ...lines] = csv.trim().split('\r\n');
      expect(header).toContain('"rule_hash","facts_hash","evaluated_at"');
      expect(header).toContain('"exemption_decided_by"');
      // A line per result, one per exemption event (requested, approved), the scope, the checkpoint and the
      // signature.
      expect(set.decisions.map(d => [d.event, d.actor])).toEqual([
        ['requested', 'user:default/mateo.garcia'],
        ['approved', 'user:default/daniel.moreau'],
      ]);
      expect(lines).toHaveLength(rows.length + 2 + 3);
      expect(lines.at(-3)).toBe(
        `"forge-scope","group","group:default/data-science","","AC-4","${clock
          .now()
          .toISOString()}","${set.exportedAt}"`,
      );
      expect(lines.at(-2)).toMatch(
        /^"forge-checkpoint","\d+","[0-9a-f]{64}","[^"]+","[0-9a-f]{16}","[0-9a-f]{128}"$/,
      );
      expect(lines.at(-1)).toMatch(
        /^"forge-signature","[0-9a-f]{16}","[0-9a-f]{128}"$/,
      );
      expect(csv).toContain('"user:default/daniel.moreau"');
    });

    it('exports OSCAL assessment-results with a finding per control and an observation per result', async () => {
      const query = {
        scope: { type: 'org' as const },
        framework: 'SOC2' as const,
        asOf: clock.now(),
      };
      const set = await h.evidence.collect(query);
      const rows = set.rows;
      const oscal = h.evidence.toOscal(set) as any;
      const result = oscal['assessment-results'].results[0];
      expect(oscal['assessment-results'].metadata['oscal-version']).toBe(
        '1.1.2',
      );
      // An observation per result and per exemption event of a SOC 2 check.
      expect(result.observations).toHaveLength(
        rows.length + set.decisions.length,
      );
      const ids = result['reviewed-controls']['control-selections'][0][
        'include-controls'
      ].map((c: any) => c['control-id']);
      expect(ids.every((id: string) => /^(cc|c|p)\d/.test(id))).toBe(true);
      const c11 = result.findings.find(
        (f: any) => f.target['target-id'] === 'c1.1_obj',
      );
      expect(['satisfied', 'not-satisfied']).toContain(c11.target.status.state);
      const observationIds = new Set(
        result.observations.map((o: any) => o.uuid),
      );
      expect(
        c11['related-observations'].every((r: any) =>
          observationIds.has(r['observation-uuid']),
        ),
      ).toBe(true);
      expect(result.observations[0].props.map((p: any) => p.name)).toEqual(
        expect.arrayContaining([
          'rule-hash',
          'facts-hash',
          'policy-pack',
          'history-hash',
        ]),
      );
    });

    it('includes what the blueprint gate found for requests, even refused ones, as observations without findings', async () => {
      // A request the gate refused: restricted data in a region the pack does not allow. The project never existed.
      const requested = {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'claims-lapse-us',
          namespace: 'default',
          annotations: {
            'forge.io/data-classification': 'restricted',
            'forge.io/region': 'us-east-1',
          },
        },
        spec: {
          type: 'ml-pipeline',
          lifecycle: 'experimental',
          owner: 'group:default/retention-analytics',
        },
      };
      const evaluation = await h.compliance.dryRun(requested, 'request');
      expect(
        evaluation.results.find(
          r => r.checkId === 'data.restricted-in-approved-region',
        )?.status,
      ).toBe('fail');
      const recordedAt = clock.now().toISOString();
      const gateId = await h.store.recordGateEvaluation(
        {
          entityRef: 'component:default/claims-lapse-us',
          decision: 'blocked',
          evaluation,
          taskId: 'task-1',
          templateRef: 'template:default/ml-training-pipeline',
        },
        'plugin:scaffolder',
        recordedAt,
      );

      // Not before it happened.
      await expect(
        h.evidence.collect({
          scope: { type: 'entity', ref: 'component:default/claims-lapse-us' },
          asOf: new Date(clock.now().getTime() - 1),
        }),
      ).rejects.toThrow(/No compliance results or gate evaluations/);

      clock.advance(1);
      const set = await h.evidence.collect({
        scope: { type: 'entity', ref: 'component:default/claims-lapse-us' },
        controlId: 'AC-4',
        asOf: clock.now(),
      });
      const rows = set.rows;
      expect(rows.length).toBeGreaterThan(0);
      expect(
        rows.every(r => r.source === 'gate' && r.gate?.decision === 'blocked'),
      ).toBe(true);
      const refused = rows.find(
        r => r.checkId === 'data.restricted-in-approved-region',
      )!;
      expect(refused).toMatchObject({
        status: 'fail',
        evaluatedAt: recordedAt,
      });
      expect(refused.historyHash).toBe(
        `gate:${gateId}:data.restricted-in-approved-region`,
      );

      const csv = h.evidence.toCsv(set);
      expect(csv.split('\r\n')[0]).toContain(
        '"gate_decision","gate_task_id","gate_template","gate_recorded_by"',
      );
      expect(csv).toContain(
        '"blocked","task-1","template:default/ml-training-pipeline","plugin:scaffolder"',
      );
      expect(refused.historySeq).toBeGreaterThan(0);

      // In the organisation's OSCAL the gate's results are observations; findings stay about the live state.
      const query = {
        scope: { type: 'org' as const },
        controlId: 'AC-4',
        asOf: clock.now(),
      };
      const orgSet = await h.evidence.collect(query);
      const orgRows = orgSet.rows;
      const gateRows = orgRows.filter(r => r.source === 'gate');
      expect(gateRows.length).toBe(rows.length);
      const oscal = h.evidence.toOscal(orgSet) as any;
      const result = oscal['assessment-results'].results[0];
      expect(result.observations).toHaveLength(
        orgRows.length + orgSet.decisions.length,
      );
      const gateObservation = result.observations.find((o: any) =>
        o.props.some(
          (p: any) => p.name === 'gate-decision' && p.value === 'blocked',
        ),
      );
      expect(gateObservation.remarks).toMatch(/before anything was created/);
      const related = new Set(
        result.findings.flatMap((f: any) =>
          f['related-observations'].map((r: any) => r['observation-uuid']),
        ),
      );
      expect(related.has(gateObservation.uuid)).toBe(false);
    });

    it('signs OSCAL and CSV exports so that an auditor can verify them offline; any edit fails the check', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
      try {
        const publicKey = path.join(dir, 'forge-history.pem');
        fs.writeFileSync(publicKey, h.history.publicKeyPem());
        const query = {
          scope: {
            type: 'entity' as const,
            ref: 'component:default/claims-fraud-features',
          },
          asOf: clock.now(),
        };
        for (const format of ['oscal', 'csv'] as const) {
          const exported = await h.evidence.export(query, format);
          const file = path.join(dir, exported.filename);
          fs.writeFileSync(file, exported.body);
          const ok = verifyOffline(file, publicKey);
          expect(ok.output).toMatch(/^OK /);
          expect(ok.status).toBe(0);
          // The decisions are in it with who, when and why.
          expect(exported.body).toContain('user:default/daniel.moreau');
          expect(exported.body).toContain(
            'Migration to eu-west-1 is scheduled for January',
          );

          // An auditor's copy with one word changed no longer verifies.
          fs.writeFileSync(
            file,
            exported.body.replace(
              'scheduled for January',
              'scheduled for June',
            ),
          );
          const edited = verifyOffline(file, publicKey);
          expect(edited.status).toBe(1);
          expect(edited.output).toMatch(/changed after it was exported/);

          // Nor does the untouched export against another key.
          fs.writeFileSync(file, exported.body);
          const otherKey = path.join(dir, 'other.pem');
          fs.writeFileSync(otherKey, HistoryKeys.generate().publicKeyPem());
          expect(verifyOffline(file, otherKey).status).toBe(1);
        }

        // With the published checkpoint file the export's checkpoint must be one of them.
        const exported = await h.evidence.export(query, 'csv');
        const file = path.join(dir, 'export.csv');
        fs.writeFileSync(file, exported.body);
        const published = path.join(dir, 'published.jsonl');
        fs.writeFileSync(
          published,
          (await h.store.listCheckpoints())
            .map(c => JSON.stringify(c))
            .join('\n'),
        );
        expect(
          verifyOffline(file, publicKey, ['--checkpoints', published]).status,
        ).toBe(0);
        fs.writeFileSync(published, '');
        expect(
          verifyOffline(file, publicKey, ['--checkpoints', published]).output,
        ).toMatch(/not among the published checkpoints/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('fails the offline check with a clear message for each way an export or the checkpoint file is edited after signing', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
      try {
        await h.exemptions.request(
          {
            entityRef: 'component:default/churn-model',
            checkId: 'inventory.description',
            justification: '"=HYPERLINK("http://evil.example/x") explains it',
            compensatingControl: '+cmd|/C calc!A0 reviewed weekly',
            expiresAt: new Date(
              clock.now().getTime() + 30 * 86400_000,
            ).toISOString(),
          },
          'user:default/mateo.garcia',
        );
        clock.advance(1);
        await h.history.checkpoint();
        const query = {
          scope: { type: 'org' as const },
          asOf: clock.now(),
        };
        const publicKey = path.join(dir, 'forge-history.pem');
        fs.writeFileSync(publicKey, h.history.publicKeyPem());
        const check = (name: string, body: string, extra: string[] = []) => {
          const file = path.join(dir, name);
          fs.writeFileSync(file, body);
          return verifyOffline(file, publicKey, extra);
        };
        const expectFailure = (
          what: string,
          result: ReturnType<typeof verifyOffline>,
          message: RegExp,
        ) => {
          expect({ what, status: result.status }).toEqual({ what, status: 1 });
          expect({ what, output: result.output }).toEqual({
            what,
            output: expect.stringMatching(message),
          });
          // A message, not a stack trace.
          expect(result.output).not.toMatch(/\n\s+at /);
        };

        const csv = (await h.evidence.export(query, 'csv')).body;
        expect(check('ok.csv', csv).status).toBe(0);
        // Formula-like text, also after a double quote, is written as text.
        expect(csv).toContain(
          `"'""=HYPERLINK(""http://evil.example/x"") explains it"`,
        );
        expect(csv).toContain(`"'+cmd|/C calc!A0 reviewed weekly"`);
        const csvEdits: Array<[string, string, RegExp]> = [
          [
            'a decider changed',
            csv.replace(
              'user:default/daniel.moreau',
              'user:default/mallory.admin',
            ),
            /the signature does not match the content: the file was changed after it was exported/,
          ],
          [
            'the neutralising quote taken off a formula',
            csv.replace(`"'""=HYPERLINK`, `"""=HYPERLINK`),
            /column exemption_justification holds a spreadsheet formula .*=HYPERLINK.*put in after the export/,
          ],
          [
            'the signature line removed',
            csv.slice(0, csv.lastIndexOf('"forge-signature"')),
            /the last line is not the Forge signature line .*the signature was removed/,
          ],
          [
            'a line added after the signature',
            `${csv}"x","y"\r\n`,
            /the last line is not the Forge signature line/,
          ],
          [
            'line endings converted to LF',
            csv.replace(/\r\n/g, '\n'),
            /the line endings were changed from CRLF to LF/,
          ],
          [
            'one line ending converted to LF',
            csv.replace('\r\n', '\n'),
            /some line endings were changed from CRLF to LF/,
          ],
          [
            'a blank added at the end of a line',
            csv.replace('\r\n', ' \r\n'),
            /changed after it was exported/,
          ],
          [
            'a byte order mark added by a spreadsheet',
            `\ufeff${csv}`,
            /byte order mark/,
          ],
        ];
        for (const [what, body, message] of csvEdits)
          expectFailure(what, check('edited.csv', body), message);

        const oscal = (await h.evidence.export(query, 'oscal')).body;
        expect(check('ok.oscal.json', oscal).status).toBe(0);
        // Re-indenting changes no value: the signature covers the canonical JSON (docs/auditors.md).
        expect(
          check(
            'indented.oscal.json',
            JSON.stringify(JSON.parse(oscal), null, 2).replace(/\n/g, '\r\n'),
          ).status,
        ).toBe(0);
        // Typed text stands inside Forge's sentences ("Justification: ..."), and no value of the document may start
        // a formula when a GRC tool flattens it into a spreadsheet.
        expect(oscal).toContain(
          '\\"=HYPERLINK(\\"http://evil.example/x\\") explains it',
        );
        const strings: string[] = [];
        JSON.parse(oscal, (_key, value) => {
          if (typeof value === 'string') strings.push(value);
          return value;
        });
        expect(
          strings.filter(v => neutraliseSpreadsheetFormula(v) !== v),
        ).toEqual([]);
        const firstObservation = oscal.indexOf('"observations":[{') + 17;
        const withoutSignature = JSON.parse(oscal);
        const resources =
          withoutSignature['assessment-results']['back-matter'].resources;
        resources.splice(
          resources.findIndex(
            (r: { title: string }) => r.title === 'Forge evidence signature',
          ),
          1,
        );
        const oscalEdits: Array<[string, string, RegExp]> = [
          [
            'a value changed',
            oscal.replace('daniel.moreau', 'mallory.admin'),
            /the signature does not match the content: the file was changed after it was exported/,
          ],
          [
            'blanks inside a value',
            oscal.replace('scheduled for January', 'scheduled  for January'),
            /changed after it was exported/,
          ],
          [
            'a duplicate key that readers keeping the first value would show',
            `${oscal.slice(
              0,
              firstObservation,
            )}"title":"Everything compliant",${oscal.slice(firstObservation)}`,
            /the key "title" appears twice in one object/,
          ],
          [
            'the signature resource removed',
            JSON.stringify(withoutSignature),
            /no signature resource/,
          ],
          [
            'cut short',
            oscal.slice(0, oscal.length - 10),
            /not valid JSON .*cut short/,
          ],
        ];
        for (const [what, body, message] of oscalEdits)
          expectFailure(what, check('edited.oscal.json', body), message);

        // The auditor's copy of the published checkpoints, tampered with.
        const published = await h.store.listCheckpoints();
        const cp = published.at(-1)!;
        const lines = published.map(c => JSON.stringify(c));
        const other = HistoryKeys.generate();
        const foreign = {
          ...cp,
          keyId: other.keyId,
          signature: other.sign(
            checkpointMessage({ ...cp, keyId: other.keyId }),
          ),
        };
        const rivalHead = 'f'.repeat(64);
        const rival = {
          ...cp,
          head: rivalHead,
          signature: h.keys.sign(checkpointMessage({ ...cp, head: rivalHead })),
        };
        const checkpointEdits: Array<[string, string, RegExp]> = [
          [
            'a line edited',
            [
              ...lines.slice(0, -1),
              lines.at(-1)!.replace(cp.at, '2020-01-01T00:00:00.000Z'),
            ].join('\n'),
            /line \d+ of .* is not a checkpoint signed by this key: the checkpoint file was altered/,
          ],
          [
            'the last line removed',
            lines.slice(0, -1).join('\n'),
            /the checkpoint of seq \d+ \(\w+\) is not among the published checkpoints/,
          ],
          [
            'a line signed with another key',
            [...lines, JSON.stringify(foreign)].join('\n'),
            /is not a checkpoint signed by this key/,
          ],
          [
            'a line that is not JSON',
            [...lines, '{"seq": 1,'].join('\n'),
            /is not a checkpoint signed by this key/,
          ],
          [
            'another head published for the same seq',
            [...lines, JSON.stringify(rival)].join('\n'),
            /the published checkpoint of seq \d+ .* has head f{64}, the export's has \w+: the history was rewritten/,
          ],
        ];
        const exportFile = path.join(dir, 'export.csv');
        fs.writeFileSync(exportFile, csv);
        const publishedFile = path.join(dir, 'published.jsonl');
        fs.writeFileSync(publishedFile, lines.join('\n'));
        expect(
          verifyOffline(exportFile, publicKey, ['--checkpoints', publishedFile])
            .status,
        ).toBe(0);
        for (const [what, text, message] of checkpointEdits) {
          fs.writeFileSync(publishedFile, text);
          expectFailure(
            what,
            verifyOffline(exportFile, publicKey, [
              '--checkpoints',
              publishedFile,
            ]),
            message,
          );
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('signs the scope of a CSV export (what was asked for, as of when), and the offline check prints it', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
      try {
        const publicKey = path.join(dir, 'forge-history.pem');
        fs.writeFileSync(publicKey, h.history.publicKeyPem());
        const asOf = clock.now();
        const exported = await h.evidence.export(
          {
            scope: {
              type: 'entity',
              ref: 'component:default/claims-fraud-features',
            },
            framework: 'SOC2',
            asOf,
          },
          'csv',
        );
        const lines = exported.body.trim().split('\r\n');
        expect(lines.at(-3)).toMatch(
          new RegExp(
            `^"forge-scope","entity","component:default/claims-fraud-features","SOC2","","${asOf.toISOString()}","[^"]+"$`,
          ),
        );
        const file = path.join(dir, exported.filename);
        fs.writeFileSync(file, exported.body);
        const ok = verifyOffline(file, publicKey);
        expect(ok.status).toBe(0);
        expect(ok.output).toContain(
          `scope (signed): entity component:default/claims-fraud-features; framework SOC2; control all; as of ${asOf.toISOString()}; exported at`,
        );
        // Passed off as a team's export, or as of another date: the signature no longer holds.
        for (const edit of [
          exported.body.replace(
            '"entity","component:default/claims-fraud-features"',
            '"group","group:default/fraud-science"',
          ),
          exported.body.replace(
            `"${asOf.toISOString()}"`,
            '"2026-12-31T00:00:00.000Z"',
          ),
        ]) {
          fs.writeFileSync(file, edit);
          expect(verifyOffline(file, publicKey)).toMatchObject({
            status: 1,
            output: expect.stringContaining(
              'the signature does not match the content',
            ),
          });
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses offline an OSCAL signature resource holding anything beyond what Forge writes there, and any formula in the document', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
      try {
        const publicKey = path.join(dir, 'forge-history.pem');
        fs.writeFileSync(publicKey, h.history.publicKeyPem());
        const exported = await h.evidence.export(
          { scope: { type: 'org' }, asOf: clock.now() },
          'oscal',
        );
        const check = (name: string, edit: (doc: any, sig: any) => void) => {
          const doc = JSON.parse(exported.body);
          const sig = doc['assessment-results']['back-matter'].resources.find(
            (r: any) => r.title === 'Forge evidence signature',
          );
          edit(doc, sig);
          const file = path.join(dir, name);
          fs.writeFileSync(file, JSON.stringify(doc, null, 2));
          return verifyOffline(file, publicKey);
        };
        expect(check('untouched.oscal.json', () => {}).status).toBe(0);
        const edits: Array<[string, (doc: any, sig: any) => void, RegExp]> = [
          [
            'remarks with a formula',
            (_doc, sig) => {
              sig.remarks =
                '=HYPERLINK("https://evil.example/x","All controls satisfied - click to confirm")';
            },
            /the signature resource holds fields Forge does not write \("remarks"\)/,
          ],
          [
            'links',
            (_doc, sig) => {
              sig.rlinks = [{ href: 'https://evil.example/evidence.pdf' }];
            },
            /fields Forge does not write \("rlinks"\)/,
          ],
          [
            'a prop added',
            (_doc, sig) => {
              sig.props.push({
                name: 'reviewed-by',
                ns: 'urn:forge',
                value: 'The external auditor',
              });
            },
            /other props than the algorithm, key-id and signature props/,
          ],
          [
            'a field added to a prop',
            (_doc, sig) => {
              sig.props[1].remarks = 'key held by the CISO';
            },
            /other props than the algorithm/,
          ],
          [
            'the description changed',
            (_doc, sig) => {
              sig.description = 'Verified by the external auditor.';
            },
            /another description than the one Forge writes/,
          ],
          [
            'a second signature resource',
            (doc, sig) => {
              doc['assessment-results']['back-matter'].resources.push({
                ...sig,
              });
            },
            /2 signature resources, Forge writes one/,
          ],
          [
            'a formula in an observation',
            doc => {
              doc['assessment-results'].results[0].observations[0].remarks =
                "@SUM(1+1)*cmd|' /C calc'!A0";
            },
            /observations\[0\]\.remarks holds a spreadsheet formula/,
          ],
        ];
        for (const [what, edit, message] of edits) {
          const result = check('edited.oscal.json', edit);
          expect({ what, status: result.status }).toEqual({ what, status: 1 });
          expect(result.output).toMatch(message);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses offline a signed export with a record whose history seq is missing, zero or not a positive integer, and a CSV whose checkpoint was swapped for a later one', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
      try {
        const publicKey = path.join(dir, 'forge-history.pem');
        fs.writeFileSync(publicKey, h.history.publicKeyPem());
        const check = (name: string, body: string) => {
          const file = path.join(dir, name);
          fs.writeFileSync(file, body);
          return verifyOffline(file, publicKey);
        };
        const query = {
          scope: {
            type: 'entity' as const,
            ref: 'component:default/claims-fraud-features',
          },
          asOf: clock.now(),
        };
        const set = await h.evidence.collect(query);
        const first = set.rows[0];
        // What an export would be if a row without a chained record (one put into a table by hand) were signed: the
        // script must not read its seq as "covered by the checkpoint".
        for (const seq of [0, undefined, Number.NaN, 1.5, -3]) {
          const forged = {
            ...set,
            rows: set.rows.map(r =>
              r === first ? { ...r, historySeq: seq as number } : r,
            ),
          };
          const csv = check('forged.csv', h.evidence.toCsv(forged));
          expect({ seq, status: csv.status }).toEqual({ seq, status: 1 });
          expect(csv.output).toMatch(
            /line 2 has history seq .*, not a positive integer: the row has no record in the history/,
          );
          const oscal = check(
            'forged.oscal.json',
            JSON.stringify(h.evidence.toOscal(forged)),
          );
          expect({ seq, status: oscal.status }).toEqual({ seq, status: 1 });
          expect(oscal.output).toContain(
            `observation "${first.checkTitle} - ${first.entityRef}" has history seq`,
          );
        }
        // An OSCAL observation without the history-seq property at all, signed.
        const document = h.evidence.toOscal(set) as any;
        const results = document['assessment-results'];
        results['back-matter'].resources = results[
          'back-matter'
        ].resources.filter(
          (r: { title: string }) => r.title !== 'Forge evidence signature',
        );
        const observation = results.results[0].observations[0];
        observation.props = observation.props.filter(
          (p: { name: string }) => p.name !== 'history-seq',
        );
        // Signed as Forge signs (the signature resource exactly as it writes it).
        const signed = (h.evidence as any).signOscal(document);
        const missing = check('missing.oscal.json', JSON.stringify(signed));
        expect(missing.status).toBe(1);
        expect(missing.output).toMatch(
          /observation ".*" has no history seq: the row has no record in the history/,
        );

        // The CSV's checkpoint is signed with the rows: a later checkpoint (which would also "cover" them) swapped in
        // is a change.
        const exported = (await h.evidence.export(query, 'csv')).body;
        expect(check('ok.csv', exported).status).toBe(0);
        const fields = (c: {
          seq: number;
          head: string;
          at: string;
          keyId: string;
          signature: string;
        }) =>
          [c.seq, c.head, c.at, c.keyId, c.signature]
            .map(v => `"${v}"`)
            .join(',');
        const carried = (await h.store.listCheckpoints()).find(c =>
          exported.includes(fields(c)),
        )!;
        expect(carried).toBeDefined();
        await h.exemptions.request(
          {
            entityRef: 'component:default/churn-model',
            checkId: 'inventory.description',
            justification: 'A later record, after the export was signed.',
            compensatingControl: 'Reviewed weekly by the data owner.',
            expiresAt: new Date(
              clock.now().getTime() + 30 * 86400_000,
            ).toISOString(),
          },
          'user:default/mateo.garcia',
        );
        clock.advance(1);
        const later = await h.history.checkpoint();
        expect(later!.seq).toBeGreaterThan(carried.seq);
        const swapped = check(
          'swapped.csv',
          exported.replace(fields(carried), fields(later!)),
        );
        expect(swapped.status).toBe(1);
        expect(swapped.output).toMatch(
          /the signature does not match the content: the file was changed after it was exported/,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses (409) to export evidence from a history changed outside Forge, naming the first record that does not match', async () => {
      const rejected = await h.exemptions.request(
        {
          entityRef: 'component:default/churn-model',
          checkId: 'inventory.description',
          justification: 'The description is being rewritten by the owners.',
          compensatingControl: 'Reviewed weekly by the data owner.',
          expiresAt: new Date(
            clock.now().getTime() + 30 * 86400_000,
          ).toISOString(),
        },
        'user:default/mateo.garcia',
      );
      clock.advance(1);
      await h.exemptions.decide(
        rejected.id,
        { status: 'rejected' },
        'user:default/daniel.moreau',
      );
      clock.advance(1);
      const evaluation = await h.compliance.dryRun(
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'claims-lapse-us', namespace: 'default' },
          spec: {
            type: 'ml-pipeline',
            lifecycle: 'experimental',
            owner: 'group:default/retention-analytics',
          },
        },
        'request',
      );
      const gateId = await h.store.recordGateEvaluation(
        {
          entityRef: 'component:default/claims-lapse-us',
          decision: 'blocked',
          evaluation,
          taskId: 'task-1',
          templateRef: 'template:default/ml-training-pipeline',
        },
        'plugin:scaffolder',
        clock.now().toISOString(),
      );
      clock.advance(1);
      const exportNow = () =>
        h.evidence.export({ scope: { type: 'org' }, asOf: clock.now() }, 'csv');
      const refused = async (message: RegExp) => {
        const error = await exportNow().then(
          () => undefined,
          e => e,
        );
        expect(error?.name).toBe('ConflictError');
        expect(error?.message).toMatch(message);
        expect(error?.message).toMatch(/Run verify/);
      };
      expect((await exportNow()).body).toContain(rejected.id);

      // A rejected exemption turned into an approval in the table the export read its columns from.
      await knex('compliance_exemptions')
        .where({ id: rejected.id })
        .update({ status: 'approved', decided_by: 'user:default/mallory' });
      await refused(
        new RegExp(
          `changed outside Forge at record \\d+ \\(exemption ${rejected.id}.*compliance_exemptions\\)`,
        ),
      );
      await knex('compliance_exemptions').where({ id: rejected.id }).update({
        status: 'rejected',
        decided_by: 'user:default/daniel.moreau',
      });
      expect((await exportNow()).body).toContain(rejected.id);

      // A passed gate evaluation put into the table, with no ledger record.
      const [gate] = await knex('compliance_gate_evaluations').where({
        id: gateId,
      });
      await knex('compliance_gate_evaluations').insert({
        ...gate,
        id: 'inserted-gate',
        entity_ref: 'component:default/claims-lapse-eu',
        decision: 'passed',
      });
      await refused(
        /inserted-gate.*compliance_gate_evaluations|compliance_gate_evaluations.*inserted-gate/,
      );
      await knex('compliance_gate_evaluations')
        .where({ id: 'inserted-gate' })
        .delete();
      await exportNow();

      // A failing result turned into a pass in compliance_history (its keyed hash no longer holds).
      const [failing] = await knex('compliance_history')
        .where({ status: 'fail' })
        .orderBy('seq')
        .limit(1);
      await knex('compliance_history')
        .where({ seq: failing.seq })
        .update({ status: 'pass', message: null });
      await refused(
        new RegExp(
          `changed outside Forge at record ${failing.seq} \\(result of .*compliance_history\\)`,
        ),
      );
    });

    it('neutralises a look-alike formula after invisible characters in the CSV and OSCAL, and the offline check refuses one put back', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
      try {
        // A soft hyphen and a zero-width space, then the small equals sign (NFKC: =).
        const lookAlike = '\u00ad\u200b\ufe66SUM(A1)*cmd';
        await h.exemptions.request(
          {
            entityRef: 'component:default/churn-model',
            checkId: 'inventory.description',
            justification: `${lookAlike} explains it`,
            compensatingControl: '\u207acmd|/C calc!A0 reviewed weekly',
            expiresAt: new Date(
              clock.now().getTime() + 30 * 86400_000,
            ).toISOString(),
          },
          'user:default/mateo.garcia',
        );
        clock.advance(1);
        const query = {
          scope: {
            type: 'entity' as const,
            ref: 'component:default/churn-model',
          },
          asOf: clock.now(),
        };
        const publicKey = path.join(dir, 'forge-history.pem');
        fs.writeFileSync(publicKey, h.history.publicKeyPem());
        const check = (name: string, body: string) => {
          const file = path.join(dir, name);
          fs.writeFileSync(file, body);
          return verifyOffline(file, publicKey);
        };
        const csv = (await h.evidence.export(query, 'csv')).body;
        expect(csv).toContain(`"'${lookAlike} explains it"`);
        expect(csv).toContain(`"'\u207acmd|/C calc!A0 reviewed weekly"`);
        expect(check('ok.csv', csv).status).toBe(0);
        const stripped = check(
          'edited.csv',
          csv.replace(`"'${lookAlike}`, `"${lookAlike}`),
        );
        expect(stripped.status).toBe(1);
        expect(stripped.output).toMatch(
          /column exemption_justification holds a spreadsheet formula/,
        );
        const oscal = (await h.evidence.export(query, 'oscal')).body;
        expect(oscal).not.toContain(`"${JSON.stringify(lookAlike).slice(1)}`);
        expect(check('ok.oscal.json', oscal).status).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('neutralises a spreadsheet formula in a justification in the CSV', async () => {
      const formula = '=HYPERLINK("http://evil.example/x","Click")';
      await h.exemptions.request(
        {
          entityRef: 'component:default/churn-model',
          checkId: 'inventory.description',
          justification: `${formula} to read why this is acceptable`,
          compensatingControl: '+cmd|/C calc!A0 reviewed weekly',
          expiresAt: new Date(
            clock.now().getTime() + 30 * 86400_000,
          ).toISOString(),
        },
        'user:default/mateo.garcia',
      );
      clock.advance(1);
      const csv = (
        await h.evidence.export(
          {
            scope: { type: 'entity', ref: 'component:default/churn-model' },
            asOf: clock.now(),
          },
          'csv',
        )
      ).body;
      expect(csv).toContain(
        `"'=HYPERLINK(""http://evil.example/x"",""Click"") to read why this is acceptable"`,
      );
      expect(csv).toContain(`"'+cmd|/C calc!A0 reviewed weekly"`);
      expect(csv).not.toMatch(/(^|,)"[=+]/m);
    });

    it('exports what a gate approval approved, in CSV columns and OSCAL props and remarks, verifiable offline', async () => {
      const filed = await h.exemptions.request(
        {
          kind: 'approval',
          entityRef: 'component:default/churn-uplift',
          checkId: 'approval.cost-threshold',
          justification: 'Churn model retraining for the renewal campaign.',
          compensatingControl: 'Budget alert at 3,500 EUR; weekly review.',
          expiresAt: new Date(
            clock.now().getTime() + 7 * 86400_000,
          ).toISOString(),
          onBehalfOf: 'user:default/mateo.garcia',
          subject: {
            templateRef: 'template:default/ml-training-pipeline',
            ownerRef: 'group:default/retention-analytics',
            // A classification a spreadsheet would run: neutralised like every other text.
            classification: '=cmd|restricted',
            restrictedSources: [
              'resource:default/policy-events-stream',
              'resource:default/claims-warehouse',
            ],
            cost: {
              monthlyTotal: 3000,
              approvalThreshold: 1500,
              currency: 'EUR',
            },
          },
        },
        'service:plugin:scaffolder',
      );
      clock.advance(1);
      await h.exemptions.decide(
        filed.id,
        { status: 'approved', note: 'Within the campaign budget.' },
        'user:default/daniel.moreau',
      );
      clock.advance(1);
      const query = { scope: { type: 'org' as const }, asOf: clock.now() };
      const set = await h.evidence.collect(query);
      const decisions = set.decisions.filter(d => d.exemptionId === filed.id);
      expect(decisions.map(d => d.event)).toEqual(['requested', 'approved']);
      expect(decisions.every(d => d.subject?.cost?.monthlyTotal === 3000)).toBe(
        true,
      );

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
      try {
        const publicKey = path.join(dir, 'forge-history.pem');
        fs.writeFileSync(publicKey, h.history.publicKeyPem());

        const csv = await h.evidence.export(query, 'csv');
        const [header] = csv.body.split('\r\n');
        expect(header).toContain(
          '"approval_template","approval_owner","approval_classification","approval_restricted_sources",' +
            '"approval_cost_monthly","approval_cost_threshold","approval_cost_currency"',
        );
        const approvedLine = csv.body
          .split('\r\n')
          .find(l => l.includes(`"${filed.id}"`) && l.includes('"approved"'))!;
        expect(approvedLine).toContain('"user:default/daniel.moreau"');
        expect(approvedLine).toMatch(
          /"template:default\/ml-training-pipeline","group:default\/retention-analytics","'=cmd\|restricted","resource:default\/claims-warehouse resource:default\/policy-events-stream",3000,1500,"EUR"$/,
        );
        expect(csv.body).not.toMatch(/(^|,)"[=+]/m);
        const csvFile = path.join(dir, csv.filename);
        fs.writeFileSync(csvFile, csv.body);
        expect(verifyOffline(csvFile, publicKey)).toMatchObject({ status: 0 });
        // Raising the approved figure in the auditor's copy is caught.
        fs.writeFileSync(
          csvFile,
          csv.body.replace(',3000,1500,"EUR"', ',9000,1500,"EUR"'),
        );
        const edited = verifyOffline(csvFile, publicKey);
        expect(edited.status).toBe(1);
        expect(edited.output).toMatch(/changed after it was exported/);

        const oscal = await h.evidence.export(query, 'oscal');
        const observation = (JSON.parse(oscal.body) as any)[
          'assessment-results'
        ].results[0].observations.find(
          (o: any) =>
            o.props.some(
              (p: any) => p.name === 'exemption-id' && p.value === filed.id,
            ) &&
            o.props.some(
              (p: any) => p.name === 'decision-event' && p.value === 'approved',
            ),
        );
        const props = Object.fromEntries(
          observation.props
            .filter((p: any) => p.name.startsWith('approval-'))
            .map((p: any) => [p.name, p.value]),
        );
        expect(props).toEqual({
          'approval-template': 'template:default/ml-training-pipeline',
          'approval-owner': 'group:default/retention-analytics',
          'approval-classification': "'=cmd|restricted",
          // One prop per source; the last one wins in this map.
          'approval-restricted-source': 'resource:default/policy-events-stream',
          'approval-cost-monthly': '3000',
          'approval-cost-threshold': '1500',
          'approval-cost-currency': 'EUR',
        });
        expect(
          observation.props.filter(
            (p: any) => p.name === 'approval-restricted-source',
          ),
        ).toHaveLength(2);
        expect(observation.remarks).toContain(
          'estimated 3,000.00 EUR a month, above the approval threshold of 1,500.00 EUR',
        );
        expect(observation.remarks).toContain(
          'Decision note: Within the campaign budget.',
        );
        const oscalFile = path.join(dir, oscal.filename);
        fs.writeFileSync(oscalFile, oscal.body);
        expect(verifyOffline(oscalFile, publicKey)).toMatchObject({
          status: 0,
        });
        fs.writeFileSync(
          oscalFile,
          oscal.body.replace('3,000.00 EUR a month', '9,000.00 EUR a month'),
        );
        expect(verifyOffline(oscalFile, publicKey).status).toBe(1);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers as of a date before the exemption with the failure', async () => {
      const { rows } = await h.evidence.collect({
        scope: {
          type: 'entity',
          ref: 'component:default/claims-fraud-features',
        },
        asOf: new Date(clock.now().getTime() - 90 * 60_000),
      });
      expect(
        rows.find(r => r.checkId === 'data.restricted-in-approved-region')
          ?.status,
      ).toBe('fail');
      await expect(
        h.evidence.collect({
          scope: { type: 'org' },
          controlId: 'XX-1',
          asOf: clock.now(),
        }),
      ).rejects.toThrow(/Unknown control/);
    });

    it('shows on a row the exemption approved as of the date, not a later rejected request or the state after a revocation', async () => {
      const entityRef = 'component:default/claims-fraud-features';
      const checkId = 'data.restricted-in-approved-region';
      const [approved] = await h.store.listExemptions({
        entityRef,
        checkId,
        status: 'approved',
      });
      const second = await h.exemptions.request(
        {
          entityRef,
          checkId,
          justification: 'Second request, please extend by another month.',
          compensatingControl: 'The same review as before.',
          expiresAt: new Date(
            clock.now().getTime() + 60 * 86400_000,
          ).toISOString(),
        },
        'user:default/mateo.garcia',
      );
      clock.advance(1);
      await h.exemptions.decide(
        second.id,
        { status: 'rejected', note: 'One month is enough.' },
        'user:default/daniel.moreau',
      );
      clock.advance(1);
      const rowOf = async (asOf: Date) =>
        (
          await h.evidence.collect({
            scope: { type: 'entity', ref: entityRef },
            asOf,
          })
        ).rows.find(r => r.checkId === checkId && r.source === 'scorecard')!;
      const row = await rowOf(clock.now());
      expect(row.status).toBe('exempt');
      expect(row.exemption).toEqual(
        expect.objectContaining({
          id: approved.id,
          status: 'approved',
          decidedBy: 'user:default/daniel.moreau',
        }),
      );
      const csvRow = h.evidence
        .toCsv(
          await h.evidence.collect({
            scope: { type: 'entity', ref: entityRef },
            asOf: clock.now(),
          }),
        )
        .split('\r\n')
        .find(
          l =>
            l.startsWith(`"scorecard","${entityRef}"`) &&
            l.includes(`"${checkId}"`),
        )!;
      expect(csvRow).toContain(approved.id);
      expect(csvRow).not.toContain(second.id);

      const beforeRevocation = clock.now();
      clock.advance(1);
      await h.exemptions.revoke(
        approved.id,
        'user:default/daniel.moreau',
        'The migration is done.',
      );
      clock.advance(1);
      const then = await rowOf(beforeRevocation);
      expect(then.status).toBe('exempt');
      expect(then.exemption).toEqual(
        expect.objectContaining({
          id: approved.id,
          status: 'approved',
          decidedBy: 'user:default/daniel.moreau',
        }),
      );
      // Now: the exemption was revoked, and no other applies.
      expect((await rowOf(clock.now())).exemption).toBeUndefined();
      // After its expiry an approved exemption no longer applies either.
      const expired = await rowOf(
        new Date(Date.parse(approved.expiresAt) + 1000),
      );
      expect(expired.exemption).toBeUndefined();
    });

    it('rolls teams up through the whole nested hierarchy', async () => {
      const dashboard = await h.dashboard.dashboard({});
      expect(dashboard.rootGroupRef).toBe('group:default/meridian-mutual');
      const team = (ref: string) =>
        dashboard.teams.find(t => t.groupRef === ref)!;
      const fraud = team('group:default/fraud-science');
      const pricing = team('group:default/pricing-science');
      const dataScience = team('group:default/data-science');
      expect(dataScience.entityCount).toBe(
        fraud.entityCount + pricing.entityCount,
      );
      expect(team('group:default/data-analytics').entityCount).toBeGreaterThan(
        dataScience.entityCount,
      );
      expect(dataScience.depth).toBe(2);
      expect(Object.keys(dataScience.families)).toEqual(dashboard.families);
      expect(dashboard.worstEntities[0].score).toBeLessThanOrEqual(
        dashboard.worstEntities[1].score,
      );
      expect(dashboard.trend.length).toBeGreaterThan(0);

      const failing = await h.dashboard.failingChecks(
        'group:default/data-science',
      );
      expect(
        failing.every(f =>
          [
            'group:default/fraud-science',
            'group:default/pricing-science',
            'group:default/data-science',
          ].includes(f.ownerRef),
        ),
      ).toBe(true);
      expect(failing[0].severity).toBe('critical');
      await expect(
        h.dashboard.failingChecks('group:default/nope'),
      ).rejects.toThrow(/No group/);
    });
  },
);
