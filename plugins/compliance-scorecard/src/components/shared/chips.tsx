import { Chip, makeStyles } from '@material-ui/core';
import type {
  CheckStatus,
  ExemptionStatus,
  Level,
  Severity,
} from '@internal/plugin-compliance-common';

// Every label is at least 4.5:1 against its chip (WCAG AA for small text; the journeys check it with axe).
const LEVEL_COLOURS: Record<Level | 'none', { bg: string; fg: string }> = {
  none: { bg: '#e0e0e0', fg: '#424242' },
  bronze: { bg: '#8d4f1f', fg: '#fff' },
  silver: { bg: '#b0b7bf', fg: '#212121' },
  gold: { bg: '#e0b020', fg: '#212121' },
};

const STATUS: Record<string, { label: string; bg: string; fg: string }> = {
  pass: { label: 'pass', bg: '#2e7d32', fg: '#fff' },
  fail: { label: 'fail', bg: '#c62828', fg: '#fff' },
  error: { label: 'error', bg: '#6a1b9a', fg: '#fff' },
  exempt: { label: 'exempt', bg: '#1565c0', fg: '#fff' },
  not_applicable: { label: 'n/a', bg: '#e0e0e0', fg: '#424242' },
  // An exemption awaiting a decision, or a check awaiting its first CI evidence: neither passes nor fails yet.
  pending: { label: 'pending', bg: '#b45100', fg: '#fff' },
  approved: { label: 'approved', bg: '#2e7d32', fg: '#fff' },
  rejected: { label: 'rejected', bg: '#c62828', fg: '#fff' },
  revoked: { label: 'revoked', bg: '#616161', fg: '#fff' },
};

const SEVERITY: Record<Severity, { bg: string; fg: string }> = {
  critical: { bg: '#b71c1c', fg: '#fff' },
  high: { bg: '#bf360c', fg: '#fff' },
  medium: { bg: '#f9a825', fg: '#212121' },
  low: { bg: '#cfd8dc', fg: '#263238' },
};

const useStyles = makeStyles({
  chip: { fontWeight: 700, textTransform: 'uppercase', letterSpacing: 0.4 },
});

/**
 * The compliance level an entity reached: none, bronze, silver or gold; provisional when it rests on checks still
 * awaiting their first evidence (it holds only if they pass).
 */
export function LevelBadge(props: {
  level: Level | 'none';
  provisional?: boolean;
  size?: 'small';
}) {
  const classes = useStyles();
  const colours = LEVEL_COLOURS[props.level] ?? LEVEL_COLOURS.none;
  const name = props.level === 'none' ? 'no level' : props.level;
  return (
    <Chip
      size={props.size}
      className={classes.chip}
      label={props.provisional ? `${name} · provisional` : name}
      aria-label={`level ${props.level}${
        props.provisional ? ', provisional' : ''
      }`}
      title={
        props.provisional
          ? 'Provisional: checks at or below this level await their first evidence; the level holds only if they pass'
          : undefined
      }
      style={{ background: colours.bg, color: colours.fg }}
    />
  );
}

/** Status of a check or control (pass, fail, exempt, n/a) or of an exemption (pending, approved...). */
export function StatusChip(props: {
  status: CheckStatus | ExemptionStatus | string;
}) {
  const classes = useStyles();
  const s = STATUS[props.status] ?? {
    label: props.status,
    bg: '#e0e0e0',
    fg: '#424242',
  };
  return (
    <Chip
      size="small"
      className={classes.chip}
      label={s.label}
      style={{ background: s.bg, color: s.fg }}
    />
  );
}

/** Severity of a check. */
export function SeverityChip(props: { severity: Severity }) {
  const classes = useStyles();
  const s = SEVERITY[props.severity] ?? SEVERITY.medium;
  return (
    <Chip
      size="small"
      variant="outlined"
      className={classes.chip}
      label={props.severity}
      style={{ background: s.bg, color: s.fg, borderColor: s.bg }}
    />
  );
}
