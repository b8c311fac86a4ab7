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
  const luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
  return {
    background: `rgb(${rgb.join(', ')})`,
    color: luminance > 0.6 ? '#212121' : '#ffffff',
  };
}
