import { useState } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  Box,
  Button,
  TextField,
  Typography,
  makeStyles,
} from '@material-ui/core';
import { Alert, ToggleButton, ToggleButtonGroup } from '@material-ui/lab';
import useAsync from 'react-use/esm/useAsync';
import { outcomesApiRef } from '../../api';

const useStyles = makeStyles(theme => ({
  scale: { flexWrap: 'wrap', margin: theme.spacing(1, 0) },
  ends: { display: 'flex', justifyContent: 'space-between' },
}));

/**
 * The one satisfaction question, on the page of a project its creator made with a blueprint, until they answer
 * it (or for 30 days). Nobody else sees it.
 */
export function SatisfactionCard() {
  const classes = useStyles();
  const api = useApi(outcomesApiRef);
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity).toLowerCase();
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [state, setState] = useState<'asking' | 'sending' | 'thanks'>('asking');
  const [error, setError] = useState<Error | undefined>();
  const pending = useAsync(() => api.getPendingSurveys(), [api]);

  const asked = pending.value?.some(p => p.entityRef === entityRef);
  if (state !== 'thanks' && !asked) return null;

  const send = async () => {
    if (score === null) return;
    setState('sending');
    setError(undefined);
    try {
      await api.answerSurvey({
        entityRef,
        score,
        comment: comment.trim() || undefined,
      });
      setState('thanks');
    } catch (e) {
      setError(e as Error);
      setState('asking');
    }
  };

  return (
    <InfoCard title="How was creating this project?">
      {state === 'thanks' ? (
        <Alert severity="success">
          Thank you. Your answer counts in the platform's satisfaction score on
          the Outcomes page.
        </Alert>
      ) : (
        <Box
          component="form"
          onSubmit={e => {
            e.preventDefault();
            send();
          }}
        >
          <Typography id="nps-question" variant="body1">
            How likely are you to recommend Forge to a colleague?
          </Typography>
          <ToggleButtonGroup
            exclusive
            size="small"
            className={classes.scale}
            value={score}
            onChange={(_e, v) => setScore(v === null ? score : Number(v))}
            aria-labelledby="nps-question"
          >
            {Array.from({ length: 11 }, (_, i) => (
              <ToggleButton key={i} value={i} aria-label={`${i} out of 10`}>
                {i}
              </ToggleButton>
            ))}
          </ToggleButtonGroup>
          <div className={classes.ends}>
            <Typography variant="caption">0: not at all likely</Typography>
            <Typography variant="caption">10: extremely likely</Typography>
          </div>
          <TextField
            id="nps-comment"
            label="What made it so? (optional)"
            fullWidth
            multiline
            margin="normal"
            inputProps={{ maxLength: 2000 }}
            value={comment}
            onChange={e => setComment(e.target.value)}
          />
          {error && <Alert severity="error">{error.message}</Alert>}
          <Button
            type="submit"
            variant="contained"
            color="primary"
            disabled={score === null || state === 'sending'}
          >
            Send answer
          </Button>
        </Box>
      )}
    </InfoCard>
  );
}
