/** Colour stops of the heat map: red when nothing passes, amber around half, green when everything does. */
const STOPS: Array<[number, [number, number, number]]> = [
  [0, [198, 40, 40]],
  [0.5, [239, 108, 0]],
  [0.8, [251, 192, 45]],
  [1, [46, 125, 50]],
];

/** The background colour of a pass rate from 0 to 1, and a text colour readable on it. */
export function heatColour(rate: number): {
  background: string;
  color: string;
} {
  const r = Math.max(0, Math.min(1, rate));
  let i = 0;
  while (i < STOPS.length - 2 && r > STOPS[i + 1][0]) i++;
  const [a, ca] = STOPS[i];
  const [b, cb] = STOPS[i + 1];
  const t = (r - a) / (b - a);
  const rgb = ca.map((c, k) => Math.round(c + (cb[k] - c) * t));
  // White or black, whichever contrasts more (WCAG 2 relative luminance); one of them always reaches 4.5:1.
  const luminance = relativeLuminance(rgb);
  return {
    background: `rgb(${rgb.join(', ')})`,
    color:
      1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05
        ? '#ffffff'
        : '#000000',
  };
}

/** WCAG 2 relative luminance of an sRGB colour. */
export function relativeLuminance(rgb: number[]): number {
  const [r, g, b] = rgb.map(c => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two sRGB colours, 1 to 21. */
export function contrastRatio(a: number[], b: number[]): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort(
    (x, y) => y - x,
  );
  return (hi + 0.05) / (lo + 0.05);
}
