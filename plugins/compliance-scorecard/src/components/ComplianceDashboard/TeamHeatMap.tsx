import { Link } from '@backstage/core-components';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import type { TeamRollup } from '@internal/plugin-compliance-common';
import {
  Box,
  IconButton,
  Tooltip,
  Typography,
  makeStyles,
} from '@material-ui/core';
import ZoomInIcon from '@material-ui/icons/ZoomIn';
import { familyNameOfLabel, scoreColour } from '../shared';
import { heatColour } from './heatColour';

const useStyles = makeStyles(theme => ({
  table: {
    borderCollapse: 'separate',
    borderSpacing: 2,
    fontSize: theme.typography.body2.fontSize,
  },
  head: {
    fontWeight: 600,
    padding: theme.spacing(0.5, 0.25),
    whiteSpace: 'nowrap',
    textAlign: 'center',
    verticalAlign: 'bottom',
  },
  framework: {
    display: 'block',
    fontSize: '0.7rem',
    fontWeight: 400,
    color: theme.palette.text.secondary,
  },
  focus: { padding: 2, marginLeft: 2 },
  team: {
    whiteSpace: 'nowrap',
    fontSize: '0.8125rem',
    padding: theme.spacing(0.25, 1),
    textAlign: 'left',
  },
  number: { textAlign: 'right', padding: theme.spacing(0.25, 0.75) },
  cell: {
    minWidth: 32,
    fontSize: '0.75rem',
    textAlign: 'center',
    padding: theme.spacing(0.75, 0.25),
    borderRadius: 3,
    fontWeight: 600,
  },
  empty: {
    background: theme.palette.action.hover,
    color: theme.palette.text.disabled,
  },
  legend: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
  },
  legendBar: {
    width: 200,
    height: 12,
    borderRadius: 2,
    background: `linear-gradient(to right, ${[0, 0.25, 0.5, 0.65, 0.8, 0.9, 1]
      .map(r => heatColour(r).background)
      .join(', ')})`,
  },
}));

/**
 * Teams (the whole nested hierarchy, indented) against control families; each cell is coloured by the share of
 * control results of the team's entities (and its sub-teams') that pass or are exempt.
 */
export function TeamHeatMap(props: {
  teams: TeamRollup[];
  families: string[];
  onFocus: (groupRef: string) => void;
}) {
  const classes = useStyles();
  const entityLink = useEntityRefLink();
  const ordered = orderAsTree(props.teams);
  return (
    <Box overflow="auto">
      <table
        className={classes.table}
        aria-label="pass rate by team and control family"
      >
        <thead>
          <tr>
            <th className={classes.team} scope="col">
              Team
            </th>
            <th className={classes.head} scope="col">
              Entities
            </th>
            <th className={classes.head} scope="col">
              Score
            </th>
            {props.families.map(family => (
              <th key={family} className={classes.head} scope="col">
                <Tooltip
                  title={`${family}: ${familyNameOfLabel(family) || family}`}
                >
                  <span>
                    <span className={classes.framework}>
                      {family.replace(/ [^ ]+$/, '')}
                    </span>
                    {family.replace(/^.* /, '')}
                  </span>
                </Tooltip>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ordered.map(team => (
            <tr key={team.groupRef}>
              <th
                scope="row"
                className={classes.team}
                style={{ paddingLeft: 4 + team.depth * 14 }}
              >
                <Link to={entityLink(team.groupRef)}>{team.title}</Link>
                {team.depth > 0 && (
                  <Tooltip title={`Show ${team.title} and its sub-teams only`}>
                    <IconButton
                      size="small"
                      className={classes.focus}
                      aria-label={`focus on ${team.title}`}
                      onClick={() => props.onFocus(team.groupRef)}
                    >
                      <ZoomInIcon fontSize="small" />
                    </IconButton>
                  </Tooltip>
                )}
              </th>
              <td className={classes.number}>{team.entityCount}</td>
              <td
                className={classes.number}
                style={{
                  color: team.entityCount
                    ? scoreColour(team.averageScore)
                    : undefined,
                  fontWeight: 600,
                }}
              >
                {team.entityCount ? team.averageScore : '–'}
              </td>
              {props.families.map(family => {
                const counts = team.families[family];
                const total = counts
                  ? counts.pass + counts.fail + counts.exempt
                  : 0;
                if (!counts || total === 0) {
                  return (
                    <td
                      key={family}
                      className={`${classes.cell} ${classes.empty}`}
                      title="no applicable controls"
                    >
                      –
                    </td>
                  );
                }
                const colours = heatColour(counts.rate);
                return (
                  <Tooltip
                    key={family}
                    title={`${team.title}, ${family}: ${counts.pass} pass, ${counts.exempt} exempt, ${counts.fail} fail`}
                  >
                    <td
                      className={classes.cell}
                      style={colours}
                      data-rate={counts.rate}
                    >
                      {Math.round(counts.rate * 100)}
                    </td>
                  </Tooltip>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div className={classes.legend}>
        <Typography variant="caption">
          % of control results passing: 0
        </Typography>
        <div className={classes.legendBar} />
        <Typography variant="caption">
          100 (exempt counts as passing; – where no control of the family
          applies)
        </Typography>
      </div>
    </Box>
  );
}

/** Puts every team right below its parent, siblings by title, so indentation reads as the hierarchy. */
export function orderAsTree(teams: TeamRollup[]): TeamRollup[] {
  const byParent = new Map<string | undefined, TeamRollup[]>();
  const refs = new Set(teams.map(t => t.groupRef));
  for (const team of teams) {
    const parent =
      team.parentRef && refs.has(team.parentRef) ? team.parentRef : undefined;
    byParent.set(parent, [...(byParent.get(parent) ?? []), team]);
  }
  const out: TeamRollup[] = [];
  const seen = new Set<string>();
  const visit = (parent: string | undefined) => {
    for (const team of (byParent.get(parent) ?? []).sort((a, b) =>
      a.title.localeCompare(b.title),
    )) {
      if (seen.has(team.groupRef)) continue; // a malformed catalog may loop
      seen.add(team.groupRef);
      out.push(team);
      visit(team.groupRef);
    }
  };
  visit(undefined);
  return out;
}
