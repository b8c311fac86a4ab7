import { UnifiedThemeProvider } from '@backstage/theme';
import { Progress } from '@backstage/core-components';
import CircularProgress from '@material-ui/core/CircularProgress';
import LinearProgress from '@material-ui/core/LinearProgress';
import { render, screen, waitFor } from '@testing-library/react';
import { forgeDarkTheme, forgeLightTheme } from './forgeThemes';

describe.each([
  ['light', forgeLightTheme],
  ['dark', forgeDarkTheme],
])('the %s theme', (_name, theme) => {
  it('names every spinner and progress bar, as assistive technology needs, unless it names itself', async () => {
    render(
      <UnifiedThemeProvider theme={theme}>
        <CircularProgress />
        <LinearProgress />
        <Progress />
        <LinearProgress
          variant="determinate"
          value={40}
          aria-label="budget used 40%"
        />
      </UnifiedThemeProvider>,
    );
    // Backstage's Progress shows itself after a short delay.
    await waitFor(() =>
      expect(
        screen.getAllByRole('progressbar', { name: 'Loading' }),
      ).toHaveLength(3),
    );
    expect(
      screen.getByRole('progressbar', { name: 'budget used 40%' }),
    ).toBeInTheDocument();
  });
});
