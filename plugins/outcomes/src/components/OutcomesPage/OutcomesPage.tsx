import { useState } from 'react';
import {
  Content,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  OUTCOME_SECTIONS,
  OutcomeFigure,
  OutcomeSection,
} from '@internal/plugin-outcomes-common';
import {
  Chip,
  FormControl,
  Grid,
  InputLabel,
  MenuItem,
  Select,
  Typography,
  makeStyles,
} from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import { outcomesApiRef } from '../../api';

const SECTION_TITLES: Record<OutcomeSection, string> = {
  speed: 'Speed: blueprint to ready project',
  'self-service': 'Self-service',
  adoption: 'Adoption',
  compliance: 'Compliance',
  audit: 'Audit readiness',
  cost: 'Cost',
  satisfaction: 'Satisfaction',
};

const useStyles = makeStyles(theme => ({
  value: { fontSize: '1.6rem', fontWeight: 600, lineHeight: 1.3 },
  explanation: { marginTop: theme.spacing(1) },
  series: {
    borderCollapse: 'collapse',
    marginTop: theme.spacing(1),
    fontSize: '0.8rem',
    '& th, & td': {
      padding: theme.spacing(0.25, 1),
      textAlign: 'right',
      borderBottom: `1px solid ${theme.palette.divider}`,
    },
  },
  details: { margin: theme.spacing(1, 0, 0), paddingLeft: theme.spacing(2) },
  scope: { minWidth: 280 },
}));

const UNIT_SUFFIX: Record<OutcomeFigure['unit'], string> = {
  minutes: ' min',
  seconds: ' s',
  percent: '%',
  count: '',
  nps: '',
  currency: '',
};

function metLabel(met: boolean | undefined): string {
  if (met === undefined) return '';
  return met ? ' (met)' : ' (not met)';
}

function FigureCard({ figure }: { figure: OutcomeFigure }) {
  const classes = useStyles();
  const titleId = `figure-${figure.id}`;
  return (
    <InfoCard title={<span id={titleId}>{figure.title}</span>}>
      <section aria-labelledby={titleId} data-figure={figure.id}>
        <Typography
          className={classes.value}
          data-testid={`value-${figure.id}`}
        >
          {figure.display}
        </Typography>
        {figure.target && (
          <Chip
            size="small"
            color={figure.met ? 'primary' : 'default'}
            label={`Target: ${figure.target.display}${metLabel(figure.met)}`}
          />
        )}
        <table
          className={classes.series}
          aria-label={`${figure.title} by month`}
        >
          <thead>
            <tr>
              {figure.series.map(p => (
                <th key={p.period} scope="col">
                  {p.period}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              {figure.series.map(p => (
                <td key={p.period}>
                  {p.value === null
                    ? '–'
                    : `${p.value}${UNIT_SUFFIX[figure.unit]}`}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
        {figure.details && figure.details.length > 0 && (
          <ul className={classes.details}>
            {figure.details.map(d => (
              <li key={`${d.label}-${d.value}`}>
                <Typography variant="body2">
                  {d.label}: {d.value}
                </Typography>
              </li>
            ))}
          </ul>
        )}
        <Typography variant="body2" className={classes.explanation}>
          <strong>Definition.</strong> {figure.definition}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          <strong>Source.</strong> {figure.source}
        </Typography>
      </section>
    </InfoCard>
  );
}

/**
 * The platform's own outcomes for the platform lead and managers: each figure of the seed's success criteria with
 * its target, monthly history, definition and source, for the organisation or one team.
 */
export function OutcomesPage() {
  const classes = useStyles();
  const api = useApi(outcomesApiRef);
  const [scope, setScope] = useState<string | undefined>();
  const {
    value: report,
    loading,
    error,
  } = useAsync(() => api.getReport(scope), [api, scope]);

  if (error) {
    return (
      <Content>
        <ResponseErrorPanel error={error} />
      </Content>
    );
  }
  if (loading || !report) {
    return (
      <Content>
        <Progress />
      </Content>
    );
  }
  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <Typography variant="h4" component="h1">
            Platform outcomes: {report.scopeTitle}
          </Typography>
          <Typography variant="body2" color="textSecondary">
            What Forge has done for {report.scopeTitle}, measured from the data
            Forge keeps; months {report.months[0]} to {report.months.at(-1)}.
            Computed {new Date(report.generatedAt).toLocaleString()}.
          </Typography>
          {report.scopes.length > 1 && (
            <FormControl className={classes.scope} margin="normal">
              <InputLabel id="outcomes-scope-label">Scope</InputLabel>
              <Select
                labelId="outcomes-scope-label"
                value={report.scope}
                onChange={e => setScope(String(e.target.value))}
              >
                {report.scopes.map(s => (
                  <MenuItem key={s.scope} value={s.scope}>
                    {s.title}
                  </MenuItem>
                ))}
              </Select>
            </FormControl>
          )}
        </Grid>
        {OUTCOME_SECTIONS.map(section => {
          const figures = report.figures.filter(f => f.section === section);
          if (figures.length === 0) return null;
          return (
            <Grid item xs={12} key={section}>
              <Typography variant="h5" component="h2" gutterBottom>
                {SECTION_TITLES[section]}
              </Typography>
              <Grid container spacing={2}>
                {figures.map(f => (
                  <Grid item xs={12} md={6} key={f.id}>
                    <FigureCard figure={f} />
                  </Grid>
                ))}
              </Grid>
            </Grid>
          );
        })}
      </Grid>
    </Content>
  );
}
