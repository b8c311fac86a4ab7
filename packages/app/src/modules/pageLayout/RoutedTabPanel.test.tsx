import { act, render, screen } from '@testing-library/react';
import { RoutedTabPanel } from './RoutedTabPanel';

function Header(props: { selected: 'a' | 'b' }) {
  return (
    <div>
      {(['a', 'b'] as const).map(key => (
        <button
          type="button"
          key={key}
          role="tab"
          id={`t-tab-${key}`}
          aria-selected={props.selected === key}
          aria-controls={
            props.selected === key ? `t-tabpanel-${key}` : undefined
          }
        >
          Tab {key}
        </button>
      ))}
    </div>
  );
}

function Page(props: { selected: 'a' | 'b' }) {
  return (
    <>
      <Header selected={props.selected} />
      <RoutedTabPanel>content</RoutedTabPanel>
    </>
  );
}

describe('RoutedTabPanel', () => {
  it('is the panel the selected header tab controls, and follows the selection', async () => {
    const { rerender } = render(<Page selected="a" />);
    const panel = screen.getByRole('tabpanel', { name: 'Tab a' });
    expect(panel).toHaveAttribute('id', 't-tabpanel-a');
    expect(panel).toHaveTextContent('content');

    rerender(<Page selected="b" />);
    await act(async () => {}); // the MutationObserver reports after the render
    expect(screen.getByRole('tabpanel', { name: 'Tab b' })).toHaveAttribute(
      'id',
      't-tabpanel-b',
    );
    expect(document.getElementById('t-tabpanel-a')).toBeNull();
  });

  it('is a plain container when no header tab is selected', () => {
    render(
      <>
        <div />
        <RoutedTabPanel>content</RoutedTabPanel>
      </>,
    );
    expect(screen.queryByRole('tabpanel')).toBeNull();
    expect(screen.getByText('content')).toBeInTheDocument();
  });
});
