import { Recommendation } from '@internal/plugin-cost-insights-common';
import {
  Box,
  List,
  ListItem,
  ListItemIcon,
  ListItemText,
  Typography,
} from '@material-ui/core';
import LabelOffIcon from '@material-ui/icons/LabelOff';
import MemoryIcon from '@material-ui/icons/Memory';
import ScheduleIcon from '@material-ui/icons/Schedule';
import WarningIcon from '@material-ui/icons/Warning';
import { formatCurrency } from './format';

const ICONS: Record<Recommendation['kind'], JSX.Element> = {
  'tag-unattributed-spend': <LabelOffIcon />,
  'idle-gpu-capacity': <MemoryIcon />,
  'gpu-running-off-hours': <ScheduleIcon />,
  'budget-overrun': <WarningIcon />,
};

/** Recommendations, largest saving first, each with what to do and what it is worth per month. */
export function RecommendationList(props: {
  recommendations: Recommendation[];
}) {
  if (props.recommendations.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        Nothing to recommend right now.
      </Typography>
    );
  }
  return (
    <List dense aria-label="recommendations">
      {props.recommendations.map(r => (
        <ListItem key={r.id} alignItems="flex-start" divider>
          <ListItemIcon>{ICONS[r.kind]}</ListItemIcon>
          <ListItemText
            // The app theme truncates list text to one line; a recommendation must be read whole.
            style={{
              minWidth: 0,
              whiteSpace: 'normal',
              overflowWrap: 'anywhere',
            }}
            primaryTypographyProps={{ style: { whiteSpace: 'normal' } }}
            secondaryTypographyProps={{ style: { whiteSpace: 'normal' } }}
            primary={r.title}
            secondary={
              <>
                <Typography variant="body2" component="span" display="block">
                  {r.description}
                </Typography>
                <Typography variant="body2" component="span" display="block">
                  <strong>Do:</strong> {r.action}
                </Typography>
                <Box component="span" display="block" mt={0.5}>
                  {r.estimatedMonthlySavings > 0 ? (
                    <strong>
                      Saves about{' '}
                      {formatCurrency(r.estimatedMonthlySavings, r.currency)} a
                      month
                    </strong>
                  ) : (
                    <strong>
                      Makes {formatCurrency(r.monthlyCost, r.currency)} a month
                      accountable
                    </strong>
                  )}
                </Box>
              </>
            }
          />
        </ListItem>
      ))}
    </List>
  );
}
