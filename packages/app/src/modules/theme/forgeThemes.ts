import {
  createUnifiedTheme,
  defaultComponentThemes,
  palettes,
  UnifiedTheme,
} from '@backstage/theme';

type StyleOverride = (props: { theme: any }) => Record<string, unknown>;

const tableCellDefaults = defaultComponentThemes?.MuiTableCell
  ?.styleOverrides as Record<string, StyleOverride>;

/**
 * Backstage's table cells say `word-break: break-word`, which lets a column shrink below its longest word, so
 * narrow columns broke "Since" into "Sin / ce" and "$467.62" into "$467.6 / 2". Forge's cells wrap between words
 * only; a table too wide for its card scrolls sideways, and long identifiers are shortened with an ellipsis and
 * their full text as a title (see the tables of the compliance and cost plugins).
 */
const tableCell = {
  styleOverrides: {
    ...tableCellDefaults,
    root: (props: { theme: any }) => ({
      ...tableCellDefaults.root(props),
      wordBreak: 'normal',
    }),
    head: (props: { theme: any }) => ({
      ...tableCellDefaults.head(props),
      wordBreak: 'normal',
    }),
  },
};

/**
 * A spinner or progress bar is a progressbar to assistive technology, which must have a name (axe's
 * aria-progressbar-name, serious). Backstage's own loading indicators (the table's loading body, the relations graph,
 * Progress) render MUI's without one; every one of them is named "Loading" unless it says more itself (the budget
 * bar names its figure).
 */
const progressNamed = {
  MuiCircularProgress: { defaultProps: { 'aria-label': 'Loading' } },
  MuiLinearProgress: { defaultProps: { 'aria-label': 'Loading' } },
};

/**
 * MUI's toggle buttons (@material-ui/lab, the cost pages' range and breakdown switches) write their labels in black
 * at 38% (unselected, 2.6:1 on the page) and 54% on a 12% grey (selected, 4.2:1): both under the 4.5:1 WCAG AA asks
 * for normal text (axe's color-contrast, serious). Forge's are secondary text when unselected and primary text when
 * selected, over the same backgrounds. `&$selected` is the JSS form MUI v4's own styles use for the selected state.
 */
const toggleButton = {
  styleOverrides: {
    root: ({ theme }: { theme: any }) => ({
      color: theme.palette.text.secondary,
      '&$selected': { color: theme.palette.text.primary },
    }),
  },
};

/**
 * Forge's light theme: Backstage's, with secondary text dark enough to read. MUI's default secondary text
 * (black at 54%) is #717171 on Backstage's page background (#f5f5f5), 4.47:1, just under the 4.5:1 WCAG AA asks
 * for normal text; at 62% it is #5d5d5d, 6:1.
 */
export const forgeLightTheme: UnifiedTheme = createUnifiedTheme({
  palette: {
    ...palettes.light,
    text: {
      primary: 'rgba(0, 0, 0, 0.87)',
      secondary: 'rgba(0, 0, 0, 0.62)',
      disabled: 'rgba(0, 0, 0, 0.38)',
      hint: 'rgba(0, 0, 0, 0.38)',
    },
  } as any,
  components: {
    MuiTableCell: tableCell,
    MuiToggleButton: toggleButton,
    ...progressNamed,
  } as any,
});

/** Forge's dark theme: Backstage's (its secondary text already contrasts), with the same table cells. */
export const forgeDarkTheme: UnifiedTheme = createUnifiedTheme({
  palette: palettes.dark,
  components: {
    MuiTableCell: tableCell,
    MuiToggleButton: toggleButton,
    ...progressNamed,
  } as any,
});
