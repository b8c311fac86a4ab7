/** Series colours for stacked charts, distinguishable side by side and for most colour-blind readers. */
export const SERIES_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
];

export const colorOf = (index: number) =>
  SERIES_COLORS[index % SERIES_COLORS.length];
