import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { FRAMEWORKS, type Framework } from '@internal/plugin-compliance-common';
import {
  Button,
  FormControl,
  FormControlLabel,
  FormLabel,
  MenuItem,
  Radio,
  RadioGroup,
  TextField,
  Typography,
  makeStyles,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { FormEvent, useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { complianceApiRef } from '../../api';
import {
  endOfDayIso,
  errorMessage,
  frameworkLabel,
  toDateInputValue,
} from '../shared';

type ScopeType = 'org' | 'group' | 'entity';

const useStyles = makeStyles(theme => ({
  form: {
    display: 'grid',
    gap: theme.spacing(2),
    gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))',
  },
  full: { gridColumn: '1 / -1' },
}));

/** Hands the browser a file to save. */
function saveFile(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Evidence for an auditor: the results of the whole organisation, a team or one entity, for a framework or one
 * control, as of a date, as OSCAL assessment results (for GRC tools) or CSV.
 */
export function EvidenceExport() {
  const classes = useStyles();
  const api = useApi(complianceApiRef);
  const catalogApi = useApi(catalogApiRef);
  const [scopeType, setScopeType] = useState<ScopeType>('org');
  const [scopeRef, setScopeRef] = useState('');
  const [framework, setFramework] = useState<Framework | ''>('');
  const [control, setControl] = useState('');
  const [asOfDay, setAsOfDay] = useState('');
  const [format, setFormat] = useState<'oscal' | 'csv'>('oscal');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string }>();

  const packs = useAsync(() => api.listPolicyPacks(), [api]);
  const controls = useMemo(
    () =>
      (packs.value ?? [])
        .flatMap(p => p.controls)
        .filter(c => !framework || c.framework === framework)
        .sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true })),
    [packs.value, framework],
  );
  const candidates = useAsync(async () => {
    if (scopeType === 'org') return [];
    const { items } = await catalogApi.getEntities({
      filter:
        scopeType === 'group'
          ? { kind: 'Group' }
          : { kind: ['Component', 'Resource', 'System'] },
      fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title'],
    });
    return items
      .map(e => ({
        ref: `${e.kind.toLocaleLowerCase('en-US')}:${
          e.metadata.namespace ?? 'default'
        }/${e.metadata.name}`,
        title: e.metadata.title ?? e.metadata.name,
      }))
      .sort((a, b) => a.title.localeCompare(b.title));
  }, [catalogApi, scopeType]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (scopeType !== 'org' && !scopeRef) {
      setResult({
        ok: false,
        message: `Choose the ${scopeType} to export evidence for.`,
      });
      return;
    }
    setBusy(true);
    setResult(undefined);
    try {
      const file = await api.exportEvidence({
        scope: scopeType === 'org' ? 'org' : `${scopeType}:${scopeRef}`,
        framework: framework || undefined,
        control: control || undefined,
        asOf: asOfDay ? endOfDayIso(asOfDay) : undefined,
        format,
      });
      saveFile(file.blob, file.filename);
      setResult({
        ok: true,
        message: `Downloaded ${file.filename} (${Math.ceil(
          file.blob.size / 1024,
        )} kB).`,
      });
    } catch (e) {
      setResult({ ok: false, message: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <InfoCard
      title="Evidence export"
      subheader="Results with rule versions, fact hashes, evaluation times and exemption decisions"
    >
      <form
        className={classes.form}
        onSubmit={submit}
        aria-label="evidence export"
      >
        <TextField
          id="evidence-scope"
          select
          label="Scope"
          variant="outlined"
          value={scopeType}
          onChange={e => {
            setScopeType(e.target.value as ScopeType);
            setScopeRef('');
          }}
        >
          <MenuItem value="org">Whole organisation</MenuItem>
          <MenuItem value="group">A team (and its sub-teams)</MenuItem>
          <MenuItem value="entity">One entity</MenuItem>
        </TextField>
        {scopeType !== 'org' && (
          <TextField
            id="evidence-ref"
            select
            label={scopeType === 'group' ? 'Team' : 'Entity'}
            variant="outlined"
            value={scopeRef}
            onChange={e => setScopeRef(e.target.value)}
            helperText={
              candidates.error
                ? `Could not list them: ${candidates.error.message}`
                : undefined
            }
          >
            {(candidates.value ?? []).map(c => (
              <MenuItem key={c.ref} value={c.ref}>
                {c.title} ({c.ref})
              </MenuItem>
            ))}
          </TextField>
        )}
        <TextField
          id="evidence-framework"
          select
          label="Framework"
          variant="outlined"
          InputLabelProps={{ shrink: true }}
          SelectProps={{ displayEmpty: true }}
          value={framework}
          onChange={e => {
            setFramework(e.target.value as Framework | '');
            setControl('');
          }}
        >
          <MenuItem value="">All frameworks</MenuItem>
          {FRAMEWORKS.map(f => (
            <MenuItem key={f} value={f}>
              {frameworkLabel(f)}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          id="evidence-control"
          select
          label="Control"
          variant="outlined"
          InputLabelProps={{ shrink: true }}
          SelectProps={{ displayEmpty: true }}
          value={control}
          onChange={e => setControl(e.target.value)}
        >
          <MenuItem value="">All controls</MenuItem>
          {controls.map(c => (
            <MenuItem key={c.id} value={c.id}>
              {c.id}: {c.title}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          id="evidence-as-of"
          label="As of"
          type="date"
          variant="outlined"
          value={asOfDay}
          onChange={e => setAsOfDay(e.target.value)}
          InputLabelProps={{ shrink: true }}
          inputProps={{ max: toDateInputValue(new Date()) }}
          helperText="Empty for now; a past date rebuilds the results from the history"
        />
        <FormControl component="fieldset">
          <FormLabel component="legend">Format</FormLabel>
          <RadioGroup
            row
            value={format}
            onChange={e => setFormat(e.target.value as 'oscal' | 'csv')}
          >
            <FormControlLabel
              value="oscal"
              control={<Radio color="primary" />}
              label="OSCAL JSON"
            />
            <FormControlLabel
              value="csv"
              control={<Radio color="primary" />}
              label="CSV"
            />
          </RadioGroup>
        </FormControl>
        <div className={classes.full}>
          <Button
            type="submit"
            variant="contained"
            color="primary"
            disabled={busy}
          >
            {busy ? 'Preparing…' : 'Download evidence'}
          </Button>
          {result && (
            <Alert
              severity={result.ok ? 'success' : 'error'}
              style={{ marginTop: 16 }}
            >
              {result.message}
            </Alert>
          )}
          <Typography
            variant="caption"
            color="textSecondary"
            component="p"
            style={{ marginTop: 8 }}
          >
            OSCAL assessment results import into GRC tools; the CSV opens in a
            spreadsheet. Every export is recorded as an audit event.
          </Typography>
        </div>
      </form>
    </InfoCard>
  );
}
