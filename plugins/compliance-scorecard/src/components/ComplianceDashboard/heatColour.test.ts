import { contrastRatio, heatColour } from './heatColour';

const rgb = (colour: string) => colour.match(/\d+/g)!.map(Number);

describe('heatColour', () => {
  it('runs from red when nothing passes to green when everything does', () => {
    expect(heatColour(0).background).toBe('rgb(198, 40, 40)');
    expect(heatColour(1).background).toBe('rgb(46, 125, 50)');
    const [r0, g0] = rgb(heatColour(0.2).background);
    const [r1, g1] = rgb(heatColour(0.6).background);
    expect(g1).toBeGreaterThan(g0);
    expect(r0).toBeGreaterThanOrEqual(r1 - 60);
  });

  it('keeps rates outside 0..1 on the scale and picks readable text', () => {
    expect(heatColour(-1)).toEqual(heatColour(0));
    expect(heatColour(2)).toEqual(heatColour(1));
    expect(heatColour(0).color).toBe('#ffffff');
    expect(heatColour(0.8).color).toBe('#000000');
  });

  it('writes every cell readably: at least 4.5:1 (WCAG AA), including mid greens and ambers', () => {
    const parse = (c: string) => c.match(/\d+/g)!.map(Number);
    const hex = (c: string) => (c === '#ffffff' ? [255, 255, 255] : [0, 0, 0]);
    for (let i = 0; i <= 100; i++) {
      const { background, color } = heatColour(i / 100);
      expect(
        contrastRatio(parse(background), hex(color)),
      ).toBeGreaterThanOrEqual(4.5);
    }
  });
});
